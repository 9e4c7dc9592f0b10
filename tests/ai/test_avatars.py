"""Seed 002's avatar library: presenters drawn offline, each pose a transparent PNG that only
changes the face, stored once."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.ai.conftest import Studio


def changed_rows_and_columns(a: np.ndarray, b: np.ndarray) -> tuple[range, range]:
    differs = np.any(a != b, axis=2)
    rows, cols = np.nonzero(differs)
    return range(rows.min(), rows.max() + 1), range(cols.min(), cols.max() + 1)


async def test_avatars_come_in_poses_that_only_move_the_face(studio: Studio) -> None:
    amy = await studio.register("amy")
    r = await studio.http.get("/api/v1/avatars", headers=amy.headers)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    avatars = {a["id"]: a for a in data["avatars"]}
    assert len(avatars) == 8
    assert data["pagination"] == {
        "current_page": 1, "total_pages": 1, "total_items": 8, "items_per_page": 20,
    }  # fmt: skip
    amy_casual = avatars["avatar-amy-casual"]
    assert (amy_casual["name"], amy_casual["gender"], amy_casual["style"]) == (
        "Amy (Casual)",
        "female",
        "casual",
    )
    assert [v["id"] for v in amy_casual["variations"]] == ["avatar-amy-professional"]
    poses = {}
    for pose, url in amy_casual["poses"].items():
        with Image.open(await studio.download(url, f"{pose}.png", amy)) as img:
            assert (img.format, img.mode, img.size) == ("PNG", "RGBA", (512, 640))
            poses[pose] = np.asarray(img).astype(int)
    closed = poses["closed"]
    # Transparent around the presenter, opaque on the face.
    assert closed[5, 5, 3] == 0
    assert closed[300, 256, 3] == 255
    # Speaking opens the mouth only; a blink shuts the eyes only.
    rows, cols = changed_rows_and_columns(closed, poses["open"])
    assert 310 <= rows.start < rows.stop <= 380, rows
    assert 210 <= cols.start < cols.stop <= 300, cols
    rows, _ = changed_rows_and_columns(closed, poses["blink"])
    assert 225 <= rows.start < rows.stop <= 265, rows
    with Image.open(await studio.download(amy_casual["thumbnail_url"], "t.png", amy)) as thumb:
        assert thumb.size == (160, 200)
    assert amy_casual["preview_url"] == amy_casual["poses"]["closed"]
    # Drawn once: listing again rewrites nothing.
    files = sorted((studio.tmp / "media" / "avatars").rglob("*.png"))
    assert len(files) == 8 * 4
    stamps = [f.stat().st_mtime_ns for f in files]
    assert (await studio.http.get("/api/v1/avatars", headers=amy.headers)).status_code == 200
    assert [f.stat().st_mtime_ns for f in files] == stamps


@pytest.mark.parametrize(
    ("params", "ids", "total"),
    [
        ({"gender": "male", "search": "casual"}, ["avatar-ben-casual", "avatar-leo-casual"], 2),
        ({"search": "MAYA"}, ["avatar-maya-casual", "avatar-maya-professional"], 2),
        ({"category": "my"}, [], 0),
        ({"limit": "3", "page": "3"}, ["avatar-leo-casual", "avatar-leo-professional"], 8),
    ],
)
async def test_avatars_filter_and_page(
    studio: Studio, params: dict[str, str], ids: list[str], total: int
) -> None:
    amy = await studio.register("amy")
    r = await studio.http.get("/api/v1/avatars", headers=amy.headers, params=params)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [a["id"] for a in data["avatars"]] == ids
    assert data["pagination"]["total_items"] == total


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"gender": "robot"}, "gender"), ({"limit": "0"}, "limit"), ({"category": "x"}, "category")],
)
async def test_bad_avatar_queries_are_422(
    studio: Studio, params: dict[str, str], fragment: str
) -> None:
    amy = await studio.register("amy")
    r = await studio.http.get("/api/v1/avatars", headers=amy.headers, params=params)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]
