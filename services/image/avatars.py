"""Presenter avatars drawn with Pillow: a few people, each in two outfits, each in every pose.

Drawn at twice the size and scaled down (smooth edges), on a transparent canvas so they sit
on any scene. Stored once under a versioned prefix; listing draws only what is missing.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from contracts.avatars import POSES, Avatar, AvatarGender, AvatarsResponse, Pose
from runtime.storage import Storage

AVATAR_VERSION = 1
WIDTH, HEIGHT = 512, 640
THUMB = (160, 200)
SCALE = 2
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    gender: AvatarGender
    skin: RGB
    hair: RGB
    long_hair: bool
    eyes: RGB


@dataclass(frozen=True)
class Outfit:
    style: str
    label: str
    top: RGB
    collar: RGB | None  # a shirt under a jacket
    tie: RGB | None


PEOPLE = (
    Person("amy", "Amy", "female", (241, 194, 160), (92, 56, 32), True, (70, 110, 60)),
    Person("ben", "Ben", "male", (198, 134, 94), (35, 28, 24), False, (60, 40, 25)),
    Person("maya", "Maya", "female", (141, 90, 62), (20, 16, 14), True, (50, 32, 20)),
    Person("leo", "Leo", "male", (232, 190, 165), (196, 150, 80), False, (60, 100, 150)),
)
OUTFITS = (
    Outfit("casual", "Casual", (64, 140, 200), None, None),
    Outfit("professional", "Professional", (44, 52, 70), (245, 245, 245), (150, 30, 40)),
)
BACKDROP = (226, 232, 240)


def avatar_id(person: Person, outfit: Outfit) -> str:
    return f"avatar-{person.key}-{outfit.style}"


def _darker(colour: RGB, by: float) -> RGB:
    r, g, b = colour
    return (int(r * by), int(g * by), int(b * by))


def draw(person: Person, outfit: Outfit, pose: Pose) -> Image.Image:
    """One pose, RGBA, WIDTH x HEIGHT."""
    s = SCALE
    image = Image.new("RGBA", (WIDTH * s, HEIGHT * s), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (int(x0 * s), int(y0 * s), int(x1 * s), int(y1 * s))

    cx = WIDTH / 2
    # Hair behind the head and shoulders, for long hair.
    if person.long_hair:
        d.rounded_rectangle(box(cx - 130, 120, cx + 130, 470), radius=110 * s, fill=person.hair)
    # Shoulders and body.
    d.rounded_rectangle(box(cx - 210, 450, cx + 210, HEIGHT + 80), radius=120 * s, fill=outfit.top)
    # Neck.
    d.rectangle(box(cx - 38, 360, cx + 38, 470), fill=_darker(person.skin, 0.9))
    if outfit.collar is not None:
        d.polygon(
            [(int((cx - 60) * s), 452 * s), (int(cx * s), 560 * s), (int((cx + 60) * s), 452 * s)],
            fill=outfit.collar,
        )
    else:
        d.chord(box(cx - 50, 430, cx + 50, 490), 0, 180, fill=_darker(person.skin, 0.9))
    if outfit.tie is not None and person.gender == "male":
        d.polygon(
            [(int((cx - 12) * s), 470 * s), (int((cx + 12) * s), 470 * s),
             (int((cx + 20) * s), 600 * s), (int(cx * s), 625 * s),
             (int((cx - 20) * s), 600 * s)],
            fill=outfit.tie,
        )  # fmt: skip
    # Ears, head.
    d.ellipse(box(cx - 128, 230, cx - 92, 290), fill=_darker(person.skin, 0.95))
    d.ellipse(box(cx + 92, 230, cx + 128, 290), fill=_darker(person.skin, 0.95))
    d.ellipse(box(cx - 112, 110, cx + 112, 400), fill=person.skin)
    # Hair on top (and a fringe).
    d.chord(box(cx - 120, 95, cx + 120, 290), 180, 360, fill=person.hair)
    if person.long_hair:
        d.pieslice(box(cx - 120, 120, cx + 30, 250), 180, 300, fill=person.hair)
    # Eyebrows.
    brow = _darker(person.hair, 0.8)
    d.line(box(cx - 72, 218, cx - 28, 212), fill=brow, width=7 * s)
    d.line(box(cx + 28, 212, cx + 72, 218), fill=brow, width=7 * s)
    # Eyes.
    for side in (-1, 1):
        ex = cx + side * 50
        if pose == "blink":
            d.arc(box(ex - 20, 232, ex + 20, 258), 0, 180, fill=(60, 40, 30), width=5 * s)
        else:
            d.ellipse(box(ex - 21, 233, ex + 21, 261), fill=(255, 255, 255))
            d.ellipse(box(ex - 10, 237, ex + 10, 257), fill=person.eyes)
            d.ellipse(box(ex - 4, 243, ex + 4, 251), fill=(15, 15, 15))
    # Nose.
    d.arc(box(cx - 16, 270, cx + 16, 312), 20, 160, fill=_darker(person.skin, 0.75), width=4 * s)
    # Mouth: a smile when closed, an open mouth with teeth and tongue when speaking.
    lips = (170, 70, 70) if person.gender == "female" else _darker(person.skin, 0.65)
    if pose == "open":
        d.ellipse(box(cx - 34, 322, cx + 34, 372), fill=(90, 25, 30), outline=lips, width=5 * s)
        d.chord(box(cx - 26, 324, cx + 26, 346), 180, 360, fill=(250, 250, 250))
        d.ellipse(box(cx - 18, 350, cx + 18, 370), fill=(200, 90, 100))
    else:
        d.arc(box(cx - 36, 318, cx + 36, 352), 15, 165, fill=lips, width=6 * s)
    return image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def thumbnail(pose: Image.Image) -> Image.Image:
    backdrop = Image.new("RGBA", pose.size, (*BACKDROP, 255))
    backdrop.alpha_composite(pose)
    return backdrop.convert("RGB").resize(THUMB, Image.Resampling.LANCZOS)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _drawn(person: Person, outfit: Outfit) -> dict[str, bytes]:
    """Every pose and the thumbnail, as PNG bytes (CPU work: run it in a thread)."""
    poses = {pose: draw(person, outfit, pose) for pose in POSES}
    return {
        **{pose: _png(img) for pose, img in poses.items()},
        "thumb": _png(thumbnail(poses["closed"])),
    }


class AvatarShelf:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = asyncio.Lock()

    @staticmethod
    def prefix(person: Person, outfit: Outfit) -> str:
        return f"avatars/v{AVATAR_VERSION}/{avatar_id(person, outfit)}"

    def _avatar(self, person: Person, outfit: Outfit) -> Avatar:
        prefix = self.prefix(person, outfit)
        return Avatar(
            id=avatar_id(person, outfit),
            person=person.key,
            name=f"{person.name} ({outfit.label})",
            gender=person.gender,
            style=outfit.style,
            width=WIDTH,
            height=HEIGHT,
            poses={pose: f"{prefix}/{pose}.png" for pose in POSES},
            thumbnail_key=f"{prefix}/thumb.png",
        )

    async def _ensure(self, person: Person, outfit: Outfit, avatar: Avatar) -> None:
        # The thumbnail is written last: when it is there, every pose is.
        if await self.storage.stat(avatar.thumbnail_key) is not None:
            return
        files = await asyncio.to_thread(_drawn, person, outfit)
        for pose in POSES:
            await self.storage.put_bytes(avatar.poses[pose], files[pose], "image/png")
        await self.storage.put_bytes(avatar.thumbnail_key, files["thumb"], "image/png")

    async def avatars(self) -> AvatarsResponse:
        listed = []
        # One drawing pass at a time: concurrent first listings wait for it, not redo it.
        async with self._lock:
            for person in PEOPLE:
                for outfit in OUTFITS:
                    avatar = self._avatar(person, outfit)
                    await self._ensure(person, outfit, avatar)
                    listed.append(avatar)
        return AvatarsResponse(avatars=listed)
