"""contracts/openapi/ holds every deployable's OpenAPI document; a stale one fails here."""

from __future__ import annotations

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
