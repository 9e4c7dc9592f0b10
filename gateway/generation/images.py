"""Scene images: the app's `/images/*` and the guide's `generate-images`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from contracts.answers import GuideProjectAnswer, ProjectAnswer, SceneImageAnswer
from contracts.errors import ApiError
from contracts.image import (
    GenerateBatchRequest,
    GenerateBatchResponse,
    GeneratedImage,
    GenerateImageRequest,
)
from gateway.deps import EditableProject, State
from gateway.generation.requests import as_json, contract_request, guide_answer
from gateway.json_body import json_object, optional_json_object
from gateway.projects.access import ProjectRef
from gateway.state import GatewayState

router = APIRouter(tags=["images"])
SceneIndex = Annotated[int, Path(ge=0, le=999)]
# Batches go to the image service in slices, so a long cloud batch never outlives one call's
# timeout; the service still bounds how many images it draws at once.
SLICE = 8


def image_options(ref: ProjectRef, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "style": body.get("style") or ref.field("image_style") or "realistic",
        "aspect_ratio": body.get("aspect_ratio") or ref.field("aspect_ratio") or "16:9",
    }


async def generate_images(state: GatewayState, ref: ProjectRef, body: dict[str, Any]) -> Any:
    options = image_options(ref, body)
    if "images" not in body and "prompts" not in body:
        body = {**body, "images": ref.field("images", [])}
    if not body.get("images") and not body.get("prompts"):
        raise ApiError(422, "No image prompts: send images:[{prompt}] or generate a script first")
    request = contract_request(GenerateBatchRequest, {**body, **options})
    slots: list[dict[str, Any]] = []
    produced: list[str] = []
    for start in range(0, len(request.images), SLICE):
        part = request.model_copy(update={"images": request.images[start : start + SLICE]})
        answer = await state.services.image.call(
            "POST", "/generate-batch", GenerateBatchResponse, json=as_json(part)
        )
        for item in answer.images:
            if item.key:
                produced.append(item.key)
            slot: dict[str, Any] = {
                "prompt": item.prompt,
                "url": state.media_url(item.key) if item.key else None,
            }
            if item.error:
                slot["error"] = item.error
            slots.append(slot)
    changes: dict[str, Any] = {"images": slots, "image_style": request.style}
    if all(slot["url"] for slot in slots):
        changes["status"] = "images_ready"
    saved = await ref.save(changes, produced)
    return state.urls.signed({**body, **saved}) if ref.is_temp else saved


async def generate_one(
    state: GatewayState, ref: ProjectRef, index: int, body: dict[str, Any]
) -> SceneImageAnswer:
    images = list(ref.field("images", []) or [])
    if not ref.is_temp and index > len(images):
        raise ApiError(422, f"sceneIndex {index} is past the end: the project has {len(images)}")
    prompt = body.get("prompt")
    if prompt is None and index < len(images):
        prompt = images[index].get("prompt")
    request = contract_request(GenerateImageRequest, {"prompt": prompt, **image_options(ref, body)})
    answer = await state.services.image.call(
        "POST", "/generate", GeneratedImage, json=as_json(request)
    )
    url = state.media_url(answer.key)
    slot = {"prompt": request.prompt, "url": url}
    if index == len(images):
        images.append(slot)
    elif index < len(images):
        images[index] = slot
    await ref.save({"images": images}, [answer.key])
    shown = state.urls.signed({"image_url": url})
    return SceneImageAnswer(image_url=shown["image_url"], scene_index=index, prompt=request.prompt)


@router.post("/images/{project_id}", response_model=None, responses={200: {"model": ProjectAnswer}})
async def images(request: Request, ref: EditableProject, state: State) -> Any:
    return await generate_images(state, ref, await optional_json_object(request))


@router.post("/images/{project_id}/{scene_index}")
async def image(
    scene_index: SceneIndex, request: Request, ref: EditableProject, state: State
) -> SceneImageAnswer:
    return await generate_one(state, ref, scene_index, await json_object(request))


@router.post(
    "/projects/{project_id}/generate-images",
    response_model=None,
    responses={200: {"model": GuideProjectAnswer}},
)
async def guide_generate_images(request: Request, ref: EditableProject, state: State) -> Any:
    return guide_answer(await generate_images(state, ref, await optional_json_object(request)))


@router.post("/projects/{project_id}/generate-images/{scene_index}")
async def guide_generate_image(
    scene_index: SceneIndex, request: Request, ref: EditableProject, state: State
) -> SceneImageAnswer:
    return await generate_one(state, ref, scene_index, await optional_json_object(request))
