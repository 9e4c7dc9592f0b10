"""contracts/openapi/ holds every deployable's OpenAPI document; a stale one fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from studio.openapi import OPENAPI_DIR, documents, render

DOCUMENTS = documents()


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_written_document_matches_the_code(name: str) -> None:
    path = OPENAPI_DIR / f"{name}.json"
    assert path.is_file(), f"missing {path}: run `make openapi`"
    assert path.read_text(encoding="utf-8") == render(DOCUMENTS[name]), (
        f"{path.name} is stale: run `make openapi` and commit the result"
    )


def test_every_route_documents_the_error_envelope() -> None:
    for name, document in DOCUMENTS.items():
        assert "ErrorEnvelope" in document["components"]["schemas"], name
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                assert "422" in operation["responses"] or "500" in operation["responses"], (
                    f"{name} {method.upper()} {path}"
                )


def _json_answers(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("2") and "application/json" in response.get("content", {}):
                    yield (
                        f"{method.upper()} {path} {status}",
                        response["content"]["application/json"],
                    )


def test_every_json_answer_has_a_model() -> None:
    """A client or SDK can check every success answer: its schema names a model."""
    for name, document in DOCUMENTS.items():
        for operation, content in _json_answers(document):
            schema = content.get("schema", {})
            assert "$ref" in schema or "$ref" in schema.get("items", {}), f"{name} {operation}"


def test_range_checked_project_fields_publish_their_bounds() -> None:
    schemas = DOCUMENTS["gateway"]["components"]["schemas"]["ProjectFields"]["properties"]
    assert (schemas["audio_speed"]["minimum"], schemas["audio_speed"]["maximum"]) == (0.7, 1.3)
    assert (schemas["nb_section"]["minimum"], schemas["nb_section"]["maximum"]) == (1, 50)
    assert schemas["duration"]["minimum"] == 0


def test_a_project_body_is_a_required_object() -> None:
    """The server answers a missing body 400 and null 422: the document says it is required."""
    paths = DOCUMENTS["gateway"]["paths"]
    writes = [("/projects", "post"), ("/projects/{project_id}", "put"),
              ("/projects/{project_id}", "patch"), ("/api/v1/projects", "post")]  # fmt: skip
    for path, method in writes:
        body = paths[path][method]["requestBody"]
        assert body["required"] is True, f"{method} {path}"
        schema = body["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ProjectFields"}, f"{method} {path}"
