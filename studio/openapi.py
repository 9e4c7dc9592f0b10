"""The OpenAPI document of the gateway and of each service, as written to contracts/openapi/."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from studio.stack import DEPLOYABLES

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "contracts" / "openapi"


def documents() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for name, factory, _ in DEPLOYABLES:
        module_name, _, attr = factory.partition(":")
        build = getattr(importlib.import_module(module_name), attr)
        docs[name] = build().openapi()
    return docs


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(directory: Path = OPENAPI_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in documents().items():
        path = directory / f"{name}.json"
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written
