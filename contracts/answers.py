"""What the gateway's generation routes and catalogues answer (the app's and the guide's).

An answer that echoes a project is the project (unknown fields kept) plus the route's own
fields. For the app's unsaved project (`temp`) nothing is stored, so such an answer is what was
sent with the results on it, without the stored fields (`id`, `createdAt`, `updatedAt`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from contracts.project import Project, ProjectFields
from contracts.script import ScriptSection


class ProjectAnswer(ProjectFields):
    """The project with a generation's results on it."""

    id: str | None = None
    createdAt: str | None = None
    updatedAt: str | None = None


class GuideProjectAnswer(ProjectAnswer):
    """The integration guide's answers also name the update time in snake case."""

    updated_at: str | None = None


class ScriptAnswer(ProjectAnswer):
    # Older callers replace their whole project with this answer, and read the scenes from it.
    sections: list[ScriptSection]


class GuideScriptAnswer(ScriptAnswer, GuideProjectAnswer):
    pass


class SubtitleFilesAnswer(BaseModel):
    """`GET /audios/generate-subtitle`: the subtitle files made from the narration's timings."""

    success: bool
    subtitle_path: str
    subtitle_vtt_path: str
    subtitle_ass_path: str
    cue_count: int
    project: ProjectAnswer


class SceneImageAnswer(BaseModel):
    """One scene's new image."""

    image_url: str
    scene_index: int
    prompt: str


class VideoAnswer(Project):
    """The project once its render (or subtitle burn) job is done."""

    job_id: str


class JobStarted(BaseModel):
    """A job accepted and running in a worker: follow it at `GET /jobs/{job_id}`."""

    status: Literal["processing"]
    job_id: str


class VideoJobStarted(JobStarted):
    message: str
    job_url: str


class TemplateOption(BaseModel):
    # The app reads a template's id from `absolute_path`.
    absolute_path: str
    label: str
    description: str


class Templates(BaseModel):
    templates: list[TemplateOption]


class CatalogOption(BaseModel):
    name: str
    label: str
    description: str


class SubtitleStyles(BaseModel):
    styles: list[CatalogOption]
    default: str


class SubtitlePositions(BaseModel):
    positions: list[CatalogOption]
    default: str
