"""The image service's presenter avatars: drawn offline in a few poses, stored once.

A pose is a transparent PNG of the same size and framing as the others, so an overlay that
swaps poses (mouth open on a spoken word, eyes shut for a blink) only changes the face.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Pose = Literal["closed", "open", "blink"]
POSES: tuple[Pose, ...] = ("closed", "open", "blink")
AvatarGender = Literal["male", "female"]


class Avatar(BaseModel):
    id: str  # avatar-<person>-<style>
    person: str
    name: str
    gender: AvatarGender
    style: str
    width: int
    height: int
    # Storage keys: one transparent PNG per pose, and a thumbnail on a backdrop.
    poses: dict[Pose, str]
    thumbnail_key: str


class AvatarsResponse(BaseModel):
    avatars: list[Avatar]
