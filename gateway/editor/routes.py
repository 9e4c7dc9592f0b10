"""Seed 002's scene editor over HTTP: scenes and their layers (`/api/v1/videos/{id}/scenes`,
`/api/v1/scenes/{id}/layers`, `/api/v1/layers/...`), rendering and regenerating the edited
video; a video is a project."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from contracts.editor import (
    Done,
    LayerAnswer,
    LayerData,
    LayerIn,
    LayerUpdate,
    Regenerate,
    RegenerateAnswer,
    RegenerateData,
    RegenerationStatusAnswer,
    RenderAnswer,
    RenderData,
    RenderOptions,
    Reorder,
    SceneAnswer,
    SceneData,
    ScenesAnswer,
    ScenesData,
    SceneUpdate,
    Visibility,
)
from gateway.auth.principal import CurrentPrincipal
from gateway.deps import State
from gateway.editor import render
from gateway.editor.service import Editor

router = APIRouter(prefix="/api/v1", tags=["editor"])
Id = Annotated[str, Path(max_length=128)]


async def get_editor(state: State) -> Editor:
    return Editor(state.projects, state.events.emit)


EditorDep = Annotated[Editor, Depends(get_editor)]


@router.get("/videos/{video_id}/scenes", response_model=ScenesAnswer)
async def list_scenes(video_id: Id, editor: EditorDep, principal: CurrentPrincipal) -> ScenesAnswer:
    scenes = await editor.scenes(video_id, principal)
    return ScenesAnswer(data=ScenesData.model_validate({"scenes": scenes}))


@router.put("/videos/{video_id}/scenes/{scene_id}", response_model=SceneAnswer)
async def update_scene(
    video_id: Id, scene_id: Id, body: SceneUpdate, editor: EditorDep, principal: CurrentPrincipal
) -> SceneAnswer:
    scene = await editor.update_scene(video_id, scene_id, body, principal)
    return SceneAnswer(
        message="Scene updated successfully", data=SceneData.model_validate({"scene": scene})
    )


@router.post("/scenes/{scene_id}/layers", status_code=201, response_model=LayerAnswer)
async def add_layer(
    scene_id: Id, body: LayerIn, editor: EditorDep, principal: CurrentPrincipal
) -> LayerAnswer:
    layer = await editor.add_layer(
        scene_id, body.model_dump(mode="json", exclude_unset=True), principal
    )
    return LayerAnswer(
        message="Layer added successfully", data=LayerData.model_validate({"layer": layer})
    )


# Before `/layers/{layer_id}`, which would otherwise take "reorder" for an id.
@router.put("/layers/reorder", response_model=Done)
async def reorder_layers(body: Reorder, editor: EditorDep, principal: CurrentPrincipal) -> Done:
    await editor.reorder(body, principal)
    return Done(message="Layers reordered successfully")


@router.put("/layers/{layer_id}", response_model=LayerAnswer)
async def update_layer(
    layer_id: Id, body: LayerUpdate, editor: EditorDep, principal: CurrentPrincipal
) -> LayerAnswer:
    layer = await editor.update_layer(layer_id, body, principal)
    return LayerAnswer(
        message="Layer updated successfully", data=LayerData.model_validate({"layer": layer})
    )


@router.delete("/layers/{layer_id}", response_model=Done)
async def delete_layer(layer_id: Id, editor: EditorDep, principal: CurrentPrincipal) -> Done:
    await editor.delete_layer(layer_id, principal)
    return Done(message="Layer deleted successfully")


@router.put("/layers/{layer_id}/toggle-visibility", response_model=LayerAnswer)
async def toggle_visibility(
    layer_id: Id, body: Visibility, editor: EditorDep, principal: CurrentPrincipal
) -> LayerAnswer:
    layer = await editor.toggle(layer_id, body.enabled, principal)
    return LayerAnswer(
        message="Layer visibility updated", data=LayerData.model_validate({"layer": layer})
    )


# --- rendering ------------------------------------------------------------------------------


@router.post("/videos/{video_id}/render", status_code=202, response_model=RenderAnswer)
async def render_video(
    video_id: Id, body: RenderOptions, state: State, principal: CurrentPrincipal
) -> RenderAnswer:
    job = await render.start(state, principal, video_id, body)
    estimate = await render.seconds_left(state, job)
    return RenderAnswer(
        data=RenderData(job_id=job.id, estimated_time=estimate, queue_position=job.queue_position)
    )


@router.post("/videos/{video_id}/regenerate", status_code=202, response_model=RegenerateAnswer)
async def regenerate_video(
    video_id: Id, body: Regenerate, state: State, principal: CurrentPrincipal
) -> RegenerateAnswer:
    job = await render.start(
        state, principal, video_id, await render.last_options(state, video_id), body
    )
    return RegenerateAnswer(
        message="Video regeneration started",
        data=RegenerateData(
            job_id=job.id,
            estimated_time=await render.seconds_left(state, job),
            status="processing",
        ),
    )


@router.get("/videos/{video_id}/regeneration-status", response_model=RegenerationStatusAnswer)
async def regeneration_status(
    video_id: Id, state: State, principal: CurrentPrincipal
) -> RegenerationStatusAnswer:
    return RegenerationStatusAnswer(data=await render.status(state, principal, video_id))
