"""How a generation route gets at the project it names: one place to enforce who may touch what.

`temp` names the app's unsaved project: generation calls for it return results and store nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path

from gateway.auth.principal import request_principal
from gateway.projects.store import ProjectStore
from gateway.state import get_projects

TEMP_ID = "temp"


@dataclass
class ProjectRef:
    id: str
    project: dict[str, Any] | None  # None for `temp`
    store: ProjectStore

    @property
    def is_temp(self) -> bool:
        return self.project is None

    def field(self, name: str, default: Any = None) -> Any:
        return default if self.project is None else self.project.get(name, default)

    async def save(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Persist result fields on the stored project; for `temp`, only echo them back."""
        if self.project is None:
            return changes
        self.project = await self.store.update(self.id, changes)
        return self.project


async def project_ref(
    project_id: Annotated[str, Path(max_length=64)],
    store: Annotated[ProjectStore, Depends(get_projects)],
) -> ProjectRef:
    """Generation writes its results onto the project: the caller (the request's principal) must
    be allowed to edit it (owner, editor member or admin); anyone else's project answers 404."""
    if project_id == TEMP_ID:
        return ProjectRef(project_id, None, store)
    project = await store.get(project_id, request_principal(), "write")
    return ProjectRef(project_id, project, store)


async def readable_project(project_id: str, store: ProjectStore) -> dict[str, Any]:
    """For routes that reach a project indirectly (a job's `project_id`): 404 unless readable."""
    return await store.get(project_id, request_principal())


Project = Annotated[ProjectRef, Depends(project_ref)]
