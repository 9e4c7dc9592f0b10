"""Script generation: the app's `/scripts/*` and the guide's `/projects/{id}/generate-script`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from contracts.answers import GuideScriptAnswer, ScriptAnswer
from contracts.script import (
    DescriptionRequest,
    DescriptionResponse,
    ScriptRequest,
    ScriptResponse,
)
from gateway.deps import EditableProject, State
from gateway.editor import scenes
from gateway.generation.requests import as_json, contract_request, guide_answer
from gateway.json_body import json_object, optional_json_object
from gateway.projects.access import ProjectRef
from gateway.state import GatewayState

router = APIRouter(tags=["script"])

# Project fields that describe what to write; the request body overrides each of them.
BRIEF_FIELDS = (
    "title", "description", "language", "type_video", "use_case", "style", "script_style",
    "keywords", "nb_section", "duration", "video_inspirations",
)  # fmt: skip


def _brief(ref: ProjectRef, body: dict[str, Any]) -> dict[str, Any]:
    brief = {name: ref.field(name) for name in BRIEF_FIELDS if ref.field(name) is not None}
    brief.update({k: v for k, v in body.items() if k in BRIEF_FIELDS})
    if "style" not in brief and brief.get("script_style"):
        brief["style"] = brief["script_style"]
    brief.pop("script_style", None)
    return brief


def _result_fields(ref: ProjectRef, result: ScriptResponse) -> dict[str, Any]:
    sections = [{"narration": s.narration, "image_prompt": s.image_prompt} for s in result.sections]
    changes: dict[str, Any] = {
        "script_text": result.script_text,
        "script_sections": sections,
        "script_provider": result.provider,
        "status": "script_generated",
    }
    if not ref.field("video_description"):
        changes["video_description"] = result.video_description
    if not ref.field("keywords"):
        changes["keywords"] = result.keywords
    # New prompts per scene, unless images were already made for this project: never discard them.
    if not any(isinstance(i, dict) and i.get("url") for i in ref.field("images", []) or []):
        changes["images"] = [{"prompt": s["image_prompt"], "url": None} for s in sections]
    return changes


async def generate_script(state: GatewayState, ref: ProjectRef, body: dict[str, Any]) -> Any:
    request = contract_request(ScriptRequest, _brief(ref, body))
    result = await state.services.script.call(
        "POST", "/generate", ScriptResponse, json=as_json(request)
    )
    narrations = [s.narration for s in result.sections]
    # The editor's scenes follow the new sections in the same write, keeping their ids.
    saved = await ref.save(
        _result_fields(ref, result),
        [],
        edit=lambda current: {"_scenes": scenes.after_script(current, narrations)},
    )
    if ref.is_temp:
        saved = {**body, **saved}
    # Older callers replace their whole project with this answer: it is the full project.
    return {**saved, "sections": [s.model_dump() for s in result.sections]}


@router.post("/scripts/description/generate")
async def generate_description(request: Request, state: State) -> DescriptionResponse:
    brief = contract_request(DescriptionRequest, await json_object(request))
    return await state.services.script.call(
        "POST", "/description/generate", DescriptionResponse, json=as_json(brief)
    )


@router.post("/scripts/{project_id}", response_model=None, responses={200: {"model": ScriptAnswer}})
async def scripts(project_id: str, request: Request, ref: EditableProject, state: State) -> Any:
    return await generate_script(state, ref, await optional_json_object(request))


@router.post(
    "/projects/{project_id}/generate-script",
    response_model=None,
    responses={200: {"model": GuideScriptAnswer}},
)
async def guide_generate_script(
    project_id: str, request: Request, ref: EditableProject, state: State
) -> Any:
    return guide_answer(await generate_script(state, ref, await optional_json_object(request)))
