"""Uploads over real multipart HTTP: the video service decides the type by content; every
refusal says why and leaves nothing in storage or the database."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image

from runtime.probe import probe
from tests.library import files
from tests.library.conftest import Factory, Library

BASE = "http://media.test/media/"


async def fetch(lib: Library, url: str) -> bytes:
    assert url.startswith(BASE), url
    r = await lib.http.get("/media/" + url.removeprefix(BASE))
    assert r.status_code == 200, r.text
    return r.content


async def test_an_image_is_re_encoded_without_its_exif_and_listed(lib: Library) -> None:
    r = await lib.upload("media", files.jpeg_with_exif(), "holiday.jpg", "image/jpeg",
                         title="Holiday", category="Travel", tags="beach, sun")  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["success"] is True
    assert body["message"] == "Media uploaded successfully"
    media = body["data"]["media"]
    assert media["type"] == "image"
    assert media["source"] == "uploaded"
    assert media["title"] == "Holiday"
    assert media["category"] == "Travel"
    assert media["tags"] == ["beach", "sun"]
    # Turned upright as its EXIF said, then stored without any EXIF.
    assert media["dimensions"] == {"width": 40, "height": 80}
    stored = Image.open(io.BytesIO(await fetch(lib, media["url"])))
    assert stored.format == "JPEG"
    assert stored.size == (40, 80)
    assert not stored.getexif()
    pixel = stored.getpixel((20, 40))
    assert isinstance(pixel, tuple)
    assert pixel[2] > 200  # still the blue picture
    thumb = Image.open(io.BytesIO(await fetch(lib, media["thumbnail_url"])))
    assert thumb.format == "JPEG"
    assert max(thumb.size) <= 320

    listed = await lib.http.get("/api/v1/media/library", params={"source": "uploaded"})
    assert listed.status_code == 200, listed.text
    page = listed.json()["data"]
    assert [m["id"] for m in page["media"]] == [media["id"]]
    assert page["media"][0] == media
    assert page["pagination"] == {
        "current_page": 1, "total_pages": 1, "total_items": 1, "items_per_page": 20,
    }  # fmt: skip


async def test_a_video_clip_is_probed_and_a_gif_stays_animated(
    lib: Library, tmp_path: Path
) -> None:
    r = await lib.upload("media", files.mp4(tmp_path), "clip.mp4", "video/mp4", title="Clip")
    assert r.status_code == 201, r.text
    clip = r.json()["data"]["media"]
    assert clip["type"] == "video"
    assert clip["dimensions"] == {"width": 320, "height": 240}
    assert abs(clip["duration"] - 2.0) < 0.1
    saved = tmp_path / "back.mp4"
    saved.write_bytes(await fetch(lib, clip["url"]))
    info = probe(saved)
    assert info.first("video") is not None
    assert abs(info.duration - 2.0) < 0.1
    thumb = Image.open(io.BytesIO(await fetch(lib, clip["thumbnail_url"])))
    assert thumb.size == (320, 240)

    r = await lib.upload("media", files.gif(), "wave.gif", "image/gif")
    assert r.status_code == 201, r.text
    gif = r.json()["data"]["media"]
    assert gif["type"] == "gif"
    assert gif["title"] == "wave"
    animated = Image.open(io.BytesIO(await fetch(lib, gif["url"])))
    assert getattr(animated, "n_frames", 1) == 3

    for kind, ids in (("video", [clip["id"]]), ("gif", [gif["id"]]), ("image", [])):
        r = await lib.http.get("/api/v1/media/library", params={"type": kind})
        assert [m["id"] for m in r.json()["data"]["media"]] == ids, kind
    r = await lib.http.get("/api/v1/media/library", params={"search": "CLI", "limit": 1})
    data = r.json()["data"]
    assert [m["id"] for m in data["media"]] == [clip["id"]]
    r = await lib.http.get("/api/v1/media/library", params={"limit": 1, "page": 2})
    data = r.json()["data"]
    assert len(data["media"]) == 1
    assert data["pagination"]["total_pages"] == 2


async def test_a_png_renamed_mp4_is_refused_and_nothing_is_stored(lib: Library) -> None:
    r = await lib.upload("media", files.png(), "movie.mp4", "video/mp4")
    assert r.status_code == 415, r.text
    assert r.json()["detail"].startswith(
        "file: the content is an image, but it is sent as 'movie.mp4'"
    )
    await lib.assert_nothing_stored()


async def test_a_truncated_video_is_refused_and_nothing_is_stored(
    lib: Library, tmp_path: Path
) -> None:
    whole = files.mp4(tmp_path)
    r = await lib.upload("media", whole[: len(whole) // 2], "clip.mp4", "video/mp4")
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("file: the file is truncated (")
    await lib.assert_nothing_stored()


async def test_an_image_of_50000_by_50000_pixels_is_refused_and_nothing_is_stored(
    lib: Library,
) -> None:
    bomb = files.png_bomb(50_000)
    assert len(bomb) < 1000
    r = await lib.upload("media", bomb, "huge.png", "image/png")
    assert r.status_code == 413, r.text
    assert r.json()["detail"] == "file: the image exceeds 50000000 pixels"
    await lib.assert_nothing_stored()


async def test_a_file_over_the_limit_is_refused_while_it_streams(make_library: Factory) -> None:
    async with make_library(upload_max_media_bytes=100_000) as lib:
        r = await lib.upload("media", b"\0" * 150_000, "big.png", "image/png")
        assert r.status_code == 413, r.text
        assert r.json()["detail"] == "file: larger than the limit of 100000 bytes"
        await lib.assert_nothing_stored()
        # The app-wide limit still guards every other route.
        r = await lib.http.post("/projects", content=b"{" + b" " * 2_100_000 + b"}",
                                headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == 413
        assert r.json()["detail"] == "Request body exceeds the limit of 2000000 bytes"


async def test_the_quota_of_the_tier_is_kept(make_library: Factory) -> None:
    # The local user is on the business plan.
    quota = {"free": 1, "pro": 1, "business": 60_000}
    async with make_library(upload_quota_bytes=quota) as lib:
        r = await lib.upload("media", files.noise_png((100, 100)), "first.png", "image/png")
        assert r.status_code == 201, r.text
        used = await lib.state.library.used_bytes("local")
        assert 0 < used <= quota["business"]
        stored = lib.files()
        second = files.noise_png((120, 120), seed=2)
        assert used + len(second) > quota["business"]
        r = await lib.upload("media", second, "second.png", "image/png")
        assert r.status_code == 413, r.text
        assert r.json()["detail"].startswith("file: over your storage quota (")
        assert "on the business plan" in r.json()["detail"]
        assert lib.files() == stored
        assert await lib.count("library") == 1
        assert await lib.state.library.used_bytes("local") == used


async def test_wrong_kinds_and_bad_fields_are_refused(lib: Library, tmp_path: Path) -> None:
    cases = [
        ("media", b"just some text\n" * 50, "notes.txt", 415,
         "file: not an accepted file; the media library takes JPEG, PNG, GIF or WebP images "
         "and MP4, MOV or WebM video"),
        ("media", files.mp3(tmp_path), "song.mp3", 415,
         "file: this is audio; upload it to /api/v1/audio/upload"),
        ("audio", files.png(), "cover.png", 415,
         "file: this is an image; upload it to /api/v1/media/upload"),
        ("audio", files.mp4(tmp_path), "clip.mp4", 415,
         "file: this is a video; upload it to /api/v1/media/upload"),
    ]  # fmt: skip
    for route, data, name, status, detail in cases:
        r = await lib.upload(route, data, name)
        assert (r.status_code, r.json()["detail"]) == (status, detail), name
    r = await lib.upload("audio", files.mp3(tmp_path), "a.mp3", category="jingles")
    assert r.status_code == 422
    assert r.json()["detail"] == "category: Input should be 'music' or 'sound_effects'"
    r = await lib.upload("media", files.png(), "a.png", title="x" * 256)
    assert (r.status_code, r.json()["detail"]) == (422, "title: at most 255 characters")
    r = await lib.http.post("/api/v1/media/upload", json={"file": "a.png"})
    assert r.status_code == 415
    assert r.json()["detail"].startswith("Send the upload as multipart/form-data")
    r = await lib.http.post("/api/v1/media/upload", data={"title": "no file"}, files={"x": b""})
    assert (r.status_code, r.json()["detail"]) == (
        422, "file: Field required (send the file in a field named file)"
    )  # fmt: skip
    await lib.assert_nothing_stored()


async def test_audio_uploads_and_favorites(lib: Library, tmp_path: Path) -> None:
    r = await lib.upload("audio", files.mp3(tmp_path), "ding.mp3", "audio/mpeg",
                         title="Ding", category="sound_effects")  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"] == "Audio uploaded successfully"
    audio = body["data"]["audio"]
    assert set(audio) == {"id", "title", "artist", "duration", "category", "tags", "url",
                          "waveform_url", "thumbnail_url", "is_premium", "is_favorite"}  # fmt: skip
    assert audio["category"] == "sound_effects"
    assert audio["is_favorite"] is False
    assert abs(audio["duration"] - 1.5) < 0.1
    saved = tmp_path / "back.mp3"
    saved.write_bytes(await fetch(lib, audio["url"]))
    assert probe(saved).first("audio") is not None
    waveform = json.loads(await fetch(lib, audio["waveform_url"]))
    assert len(waveform["peaks"]) == 200
    # A steady tone from start to end: loud in (nearly) every slice, never clipped.
    assert sum(1 for p in waveform["peaks"] if p > 0.05) > 180
    assert max(waveform["peaks"]) <= 1

    mine = await lib.http.get("/api/v1/audio/library", params={"type": "my"})
    assert [a["id"] for a in mine.json()["data"]["audio"]] == [audio["id"]]
    r = await lib.http.get("/api/v1/audio/library", params={"type": "favorites"})
    assert r.json()["data"]["audio"] == []

    r = await lib.http.post(f"/api/v1/audio/{audio['id']}/favorite", json={"is_favorite": True})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Audio favorite status updated"
    favs = await lib.http.get("/api/v1/audio/library", params={"type": "favorites"})
    assert [(a["id"], a["is_favorite"]) for a in favs.json()["data"]["audio"]] == [
        (audio["id"], True)
    ]
    r = await lib.http.post(f"/api/v1/audio/{audio['id']}/favorite", json={"is_favorite": False})
    favs = await lib.http.get("/api/v1/audio/library", params={"type": "favorites"})
    assert favs.json()["data"]["audio"] == []

    r = await lib.http.post("/api/v1/audio/nope/favorite", json={"is_favorite": True})
    assert (r.status_code, r.json()["detail"]) == (404, "Audio not found: nope")
    r = await lib.http.post(f"/api/v1/audio/{audio['id']}/favorite", json={"is_favorite": "x"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("is_favorite:")
    r = await lib.http.get("/api/v1/audio/library", params={"type": "all"})
    assert r.status_code == 422
    assert r.json()["detail"] == "query.type: Input should be 'stock', 'my' or 'favorites'"


async def test_nul_characters_are_refused(lib: Library) -> None:
    r = await lib.http.get("/api/v1/media/library", params={"search": "a\0b"})
    assert (r.status_code, r.json()["detail"]) == (422, "search: must not contain NUL characters")
    r = await lib.upload("media", files.png(), "a.png", title="a\0b")
    assert (r.status_code, r.json()["detail"]) == (422, "title: must not contain NUL characters")
    await lib.assert_nothing_stored()


async def test_without_the_video_service_an_upload_is_503_and_nothing_is_stored(
    make_library: Factory,
) -> None:
    async with make_library(video_service_url="http://127.0.0.1:9") as lib:
        r = await lib.upload("media", files.png(), "a.png", "image/png")
        assert r.status_code == 503, r.text
        assert r.json()["detail"] == "The video service is unavailable"
        await lib.assert_nothing_stored()


async def test_deleting_an_upload_frees_its_quota_but_keeps_what_a_project_uses(
    lib: Library,
) -> None:
    first = (await lib.upload("media", files.png(), "a.png")).json()["data"]["media"]
    second = (await lib.upload("media", files.png(), "b.png")).json()["data"]["media"]
    in_use = await lib.http.post("/projects", json={"title": "t", "thumbnail": second["url"]})
    assert in_use.status_code == 201, in_use.text
    assert len(lib.files("uploads")) == 4

    r = await lib.http.delete(f"/api/v1/media/{first['id']}")
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "Media deleted"}
    r = await lib.http.delete(f"/api/v1/media/{second['id']}")
    assert r.status_code == 200, r.text
    # The project's picture is still served; the rest is gone, and so is every entry.
    assert lib.files("uploads") == [second["url"].removeprefix(BASE)]
    await fetch(lib, second["url"])
    assert await lib.count("library") == 0
    assert await lib.state.library.used_bytes("local") == 0

    r = await lib.http.delete(f"/api/v1/media/{first['id']}")
    assert (r.status_code, r.json()["detail"]) == (404, f"Media not found: {first['id']}")
    r = await lib.http.delete(f"/api/v1/audio/{second['id']}")
    assert (r.status_code, r.json()["detail"]) == (404, f"Audio not found: {second['id']}")
