"""Service requests built from contract models (bad input is refused before any call), and the
integration guide's answer shape."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from contracts.errors import ApiError
from runtime.errors import validation_message

M = TypeVar("M", bound=BaseModel)


def contract_request(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, errors = validation_message(exc.errors())
        raise ApiError(422, message, details={"errors": errors}) from None


def as_json(request: BaseModel) -> dict[str, Any]:
    return request.model_dump(mode="json", exclude_none=True)


def guide_answer(project: dict[str, Any]) -> dict[str, Any]:
    """The integration guide's answers also name the update time in snake case."""
    return {**project, "updated_at": project.get("updatedAt")}
