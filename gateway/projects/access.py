"""How a generation route gets at the project it names: one place to enforce who may touch what.

`temp` names the app's unsaved project: generation calls for it return results and store nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path

from gateway.auth.principal import request_principal
from gateway.media_owners import MediaOwners
from gateway.projects.store import Edit, ProjectStore
from gateway.state import GatewayState, get_state

TEMP_ID = "temp"


@dataclass
class ProjectRef:
    id: str
    project: dict[str, Any] | None  # None for `temp`
    store: ProjectStore
    media: MediaOwners
    user_id: str | None  # who is asking: new media is recorded as produced for them

    @property
    def is_temp(self) -> bool:
        return self.project is None

    def field(self, name: str, default: Any = None) -> Any:
        return default if self.project is None else self.project.get(name, default)

    async def save(
        self, changes: dict[str, Any], produced: list[str], edit: Edit | None = None
    ) -> dict[str, Any]:
        """Persist result fields on the stored project; for `temp`, only echo them back.

        `produced` are the storage keys the services just made for these fields: they are
        recorded as this user's (and this project's) first, so they can be cleaned up later.
        `edit` derives internal fields written in the same write (the editor's scenes).
        """
        await self.media.record(produced, self.user_id, None if self.project is None else self.id)
        if self.project is None:
            return changes
        self.project = await self.store.update(self.id, changes, edit=edit)
        return self.project


async def project_ref(
    project_id: Annotated[str, Path(max_length=64)],
    state: Annotated[GatewayState, Depends(get_state)],
) -> ProjectRef:
    """Generation writes its results onto the project: the caller (the request's principal) must
    be allowed to edit it (owner, editor member or admin); anyone else's project answers 404."""
    principal = request_principal()
    user_id = principal.user_id if principal else None
    project = None
    if project_id != TEMP_ID:
        project = await state.projects.get(project_id, principal, "write")
    return ProjectRef(project_id, project, state.projects, state.media_owners, user_id)


async def readable_project(project_id: str, store: ProjectStore) -> dict[str, Any]:
    """For routes that reach a project indirectly (a job's `project_id`): 404 unless readable."""
    return await store.get(project_id, request_principal())
