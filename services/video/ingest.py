"""Uploads, decided by their content: `POST /ingest` turns a staged upload into a library file.

The gateway stages the raw bytes in storage and names the library they are for; this module
decides what they are, never trusting the file name or the declared type: Pillow for images
(verified, then re-encoded, which drops EXIF and anything appended to the image data), PyAV
for audio and video (demuxed to the end, so a truncated file is caught). It writes the result
and a thumbnail under a new key; the staged upload is always deleted, and on a refusal nothing
remains (415 not an accepted type, 413 over a limit, 422 unreadable or truncated).

Audio and video bytes are kept as uploaded (no re-encode: the limits bound what a render will
read, and transcoding a clip would cost more than the upload itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from contracts.errors import ApiError
from contracts.library import IngestedFile, IngestedType, IngestKind, IngestRequest
from contracts.media_keys import validate_field_key
from runtime.storage import Storage
from services.video.settings import VideoSettings
from services.video.waveform import waveform_json

IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
THUMB_SIZE = (320, 320)
# FFmpeg's demuxer names: what an MP4/MOV, a WebM/Matroska and the common audio files are.
MP4 = "mov,mp4,m4a,3gp,3g2,mj2"
VIDEO_FORMATS = {MP4: "mp4", "matroska,webm": "webm"}
AUDIO_FORMATS = {MP4: "m4a", "matroska,webm": "webm", "mp3": "mp3", "wav": "wav",
                 "ogg": "ogg", "flac": "flac"}  # fmt: skip
# File signatures of the containers we accept: such a file that FFmpeg cannot open is damaged
# (422), anything else is simply not a type we take (415).
SIGNATURES = (b"ID3", b"RIFF", b"OggS", b"fLaC", b"\x1a\x45\xdf\xa3", b"\xff\xfb", b"\xff\xf3")
MEDIA_HINT = "the media library takes JPEG, PNG, GIF or WebP images and MP4, MOV or WebM video"
AUDIO_HINT = "the audio library takes MP3, WAV, M4A, OGG, FLAC or WebM audio"


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    max_gif_frames: int
    max_gif_pixels: int
    max_side: int
    max_video_seconds: float
    max_audio_seconds: float
    max_streams: int

    @classmethod
    def of(cls, s: VideoSettings) -> Limits:
        return cls(
            s.video_ingest_max_bytes,
            s.video_ingest_max_image_pixels,
            s.video_ingest_max_gif_frames,
            s.video_ingest_max_gif_pixels,
            s.video_ingest_max_side,
            s.video_ingest_max_video_seconds,
            s.video_ingest_max_audio_seconds,
            s.video_ingest_max_streams,
        )


@dataclass
class Result:
    type: IngestedType
    ext: str
    content_type: str
    path: Path
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    frames: int | None = None
    thumbnail: Path | None = None
    waveform: Path | None = None


def _hint(kind: IngestKind) -> str:
    return MEDIA_HINT if kind == "media" else AUDIO_HINT


def _named_class(filename: str | None, declared: str | None) -> set[str]:
    """The classes (image, audio, video) the name and the declared type claim."""
    claims: set[str] = set()
    guessed = mimetypes.guess_type(filename)[0] if filename else None
    for value in (guessed, declared):
        major = (value or "").split("/", 1)[0].lower()
        if major in ("image", "audio", "video"):
            claims.add(major)
    return claims


def _check_claims(found: str, req: IngestRequest) -> None:
    """The type is the content's; a name or declared type that says otherwise is a disguise
    (an image sent as `.mp4`), refused rather than quietly stored as something else."""
    claims = _named_class(req.filename, req.content_type)
    as_image = found in ("image", "gif")
    if claims and all((c == "image") != as_image for c in claims):
        said = req.filename or req.content_type
        raise ApiError(
            415, f"file: the content is {'an image' if as_image else found}, but it is sent "
            f"as {said!r}; {_hint(req.kind)}",
        )  # fmt: skip


def _thumbnail(image: Image.Image, dest: Path) -> Path:
    thumb = image.convert("RGB")
    thumb.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS)
    thumb.save(dest, "JPEG", quality=85)
    return dest


def _too_many_pixels(width: int, height: int, limits: Limits) -> ApiError:
    return ApiError(
        413, f"file: the image is {width}x{height} ({width * height} pixels); "
        f"the limit is {limits.max_pixels} pixels",
    )  # fmt: skip


def _image(src: Path, work: Path, limits: Limits) -> Result | None:
    """The image re-encoded (EXIF and trailing data dropped), or None if it is no image."""
    try:
        with Image.open(src, formats=IMAGE_FORMATS) as probe:
            width, height, fmt = probe.width, probe.height, probe.format
            if width * height > limits.max_pixels:
                raise _too_many_pixels(width, height, limits)
            probe.verify()
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError:
        # Pillow's own guard, for sizes it refuses before we see them.
        raise ApiError(413, f"file: the image exceeds {limits.max_pixels} pixels") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ApiError(422, f"file: the image is damaged or truncated ({exc})") from None
    try:
        with Image.open(src, formats=IMAGE_FORMATS) as image:
            frames = getattr(image, "n_frames", 1)
            if fmt == "GIF":
                return _gif(image, frames, work, limits)
            if frames > 1:
                raise ApiError(
                    415, f"file: animated {fmt} is not accepted; send an animated GIF or a video"
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
            ext, mime = ("jpg", "image/jpeg") if fmt == "JPEG" else ("png", "image/png")
            out = work / f"image.{ext}"
            if fmt == "JPEG":
                upright.convert("RGB").save(out, "JPEG", quality=92)
            else:
                alpha = "A" in upright.getbands() or "transparency" in upright.info
                upright.convert("RGBA" if alpha else "RGB").save(out, "PNG")
            return Result("image", ext, mime, out, upright.width, upright.height,
                          thumbnail=_thumbnail(upright, work / "thumb.jpg"))  # fmt: skip
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ApiError(422, f"file: the image is damaged or truncated ({exc})") from None


def _gif(image: Image.Image, frames: int, work: Path, limits: Limits) -> Result:
    if frames > limits.max_gif_frames:
        raise ApiError(
            413, f"file: the GIF has {frames} frames; the limit is {limits.max_gif_frames}"
        )
    # Every frame is held decoded while the GIF is written again.
    if frames * image.width * image.height > limits.max_gif_pixels:
        raise ApiError(
            413, f"file: the GIF has {frames} frames of {image.width}x{image.height}; the "
            f"limit is {limits.max_gif_pixels} pixels over all frames",
        )  # fmt: skip
    copies, durations = [], []
    for frame in ImageSequence.Iterator(image):
        copies.append(frame.convert("RGBA"))
        durations.append(int(frame.info.get("duration", 100)))
    out = work / "image.gif"
    copies[0].save(
        out, "GIF", save_all=True, append_images=copies[1:], duration=durations,
        loop=int(image.info.get("loop", 0)), disposal=2,
    )  # fmt: skip
    return Result("gif", "gif", "image/gif", out, image.width, image.height,
                  duration=round(sum(durations) / 1000, 3), frames=frames,
                  thumbnail=_thumbnail(copies[0], work / "thumb.jpg"))  # fmt: skip


def _is_cover_art(stream: av.stream.Stream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _open(src: Path, kind: IngestKind) -> av.container.InputContainer:
    try:
        return av.open(str(src))
    except (av.FFmpegError, UnicodeDecodeError):
        head = src.read_bytes()[:12]
        if head[4:8] == b"ftyp" or head.startswith(SIGNATURES):
            raise ApiError(422, "file: the file is damaged or truncated (cannot be read)") from None
        raise ApiError(415, f"file: not an accepted file; {_hint(kind)}") from None


def _check_streams(
    fmt: str,
    kind: IngestKind,
    videos: list[av.VideoStream],
    audios: list[av.stream.Stream],
    count: int,
    limits: Limits,
) -> None:
    """Refuse a file whose format or streams do not fit the kind of upload."""
    formats = VIDEO_FORMATS if kind == "media" else AUDIO_FORMATS
    if kind == "media" and fmt in AUDIO_FORMATS and not videos and audios:
        raise ApiError(415, "file: this is audio; upload it to /api/v1/audio/upload")
    if kind == "audio" and videos:
        raise ApiError(415, "file: this is a video; upload it to /api/v1/media/upload")
    if fmt not in formats or not (videos if kind == "media" else audios):
        raise ApiError(415, f"file: not an accepted file ({fmt}); {_hint(kind)}")
    if count > limits.max_streams:
        raise ApiError(413, f"file: {count} streams; the limit is {limits.max_streams}")


def _av(src: Path, work: Path, kind: IngestKind, limits: Limits) -> Result:
    container = _open(src, kind)
    with container:
        fmt = container.format.name
        formats = VIDEO_FORMATS if kind == "media" else AUDIO_FORMATS
        streams = [s for s in container.streams if s.type in ("audio", "video")]
        videos = [s for s in streams if isinstance(s, av.VideoStream) and not _is_cover_art(s)]
        audios = [s for s in streams if s.type == "audio"]
        _check_streams(fmt, kind, videos, audios, len(container.streams), limits)
        duration = container.duration / av.time_base if container.duration else 0.0
        cap = limits.max_video_seconds if kind == "media" else limits.max_audio_seconds
        if duration > cap:
            raise ApiError(413, f"file: {duration:.1f} s long; the limit is {cap:g} s")
        width = height = None
        if videos:
            ctx = videos[0].codec_context
            width, height = ctx.width, ctx.height
            if max(width, height) > limits.max_side:
                raise ApiError(
                    413, f"file: the video is {width}x{height}; the limit is {limits.max_side} "
                    "pixels on each side",
                )  # fmt: skip
        thumbnail = _demux_to_end(container, videos[0] if videos else None, work)
    ext = formats[fmt]
    if kind == "media" and ext == "mp4" and fmt == MP4 and src.read_bytes()[8:10] == b"qt":
        ext = "mov"
    content_type = mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream"
    if kind == "audio" and ext == "webm":
        content_type = "audio/webm"
    out = work / f"{'video' if kind == 'media' else 'audio'}.{ext}"
    shutil.copyfile(src, out)
    waveform = None
    if kind == "audio":
        waveform = work / "waveform.json"
        waveform.write_bytes(waveform_json(src, duration))
    return Result("video" if kind == "media" else "audio", ext, content_type, out, width,
                  height, round(duration, 3), thumbnail=thumbnail, waveform=waveform)  # fmt: skip


def _demux_to_end(container: av.container.InputContainer, video: av.VideoStream | None,
                  work: Path) -> Path | None:  # fmt: skip
    """Read every packet (decoding the first picture for the thumbnail): an error, or fewer
    packets than the index promises, is a damaged or truncated file."""
    counted: dict[int, int] = {}
    thumbnail: Path | None = None
    try:
        for packet in container.demux():
            if packet.size == 0:
                continue
            counted[packet.stream.index] = counted.get(packet.stream.index, 0) + 1
            if video is not None and thumbnail is None and packet.stream.index == video.index:
                for frame in packet.decode():
                    if not isinstance(frame, av.VideoFrame):
                        continue
                    picture = Image.fromarray(frame.to_ndarray(format="rgb24"))
                    thumbnail = _thumbnail(picture, work / "thumb.jpg")
                    break
    except (av.FFmpegError, ValueError) as exc:
        raise ApiError(422, f"file: the file is damaged or truncated ({exc})") from None
    for stream in container.streams:
        present = counted.get(stream.index, 0)
        if stream.type in ("audio", "video") and present < stream.frames:
            raise ApiError(
                422, f"file: the file is truncated ({present} of {stream.frames} {stream.type} "
                "packets present)",
            )  # fmt: skip
    if video is not None and thumbnail is None:
        raise ApiError(422, "file: the video has no picture that can be decoded")
    return thumbnail


def inspect(src: Path, work: Path, req: IngestRequest, limits: Limits) -> Result:
    """Blocking: call it through asyncio.to_thread."""
    result = _image(src, work, limits)
    if result is not None:
        if req.kind == "audio":
            raise ApiError(415, "file: this is an image; upload it to /api/v1/media/upload")
    else:
        result = _av(src, work, req.kind, limits)
    _check_claims(result.type, req)
    return result


@contextlib.asynccontextmanager
async def scratch(parent: Path | None, prefix: str) -> AsyncIterator[Path]:
    """A temporary folder (under `parent`, made if missing), removed afterwards."""
    if parent is not None:
        await asyncio.to_thread(parent.mkdir, parents=True, exist_ok=True)
    work = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=prefix, dir=parent))
    try:
        yield work
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)


class Ingester:
    def __init__(self, settings: VideoSettings, storage: Storage) -> None:
        self.storage = storage
        self.limits = Limits.of(settings)
        self.temp_dir = settings.video_temp_dir
        # Decoding is CPU work: a few at a time, the rest wait their turn.
        self.gate = asyncio.Semaphore(settings.video_ingest_concurrency)

    async def ingest(self, req: IngestRequest) -> IngestedFile:
        staged = validate_field_key(req.key, "key")
        try:
            async with self.gate:
                return await self._ingest(req, staged)
        finally:
            await asyncio.shield(self.storage.delete(staged))

    async def _ingest(self, req: IngestRequest, staged: str) -> IngestedFile:
        found = await self.storage.stat(staged)
        if found is None:
            raise ApiError(404, f"key: no staged upload {staged}")
        if found.size > self.limits.max_bytes:
            raise ApiError(
                413, f"file: {found.size} bytes; the limit is {self.limits.max_bytes} bytes"
            )
        if found.size == 0:
            raise ApiError(422, "file: the file is empty")
        async with scratch(self.temp_dir, "ingest-") as work:
            src = work / "upload"
            await self.storage.download(staged, src)
            result = await asyncio.to_thread(inspect, src, work, req, self.limits)
            return await self._store(result)

    async def _store(self, result: Result) -> IngestedFile:
        prefix = f"uploads/{uuid.uuid4().hex}"
        key = f"{prefix}/{result.type}.{result.ext}"
        extras = {
            f"{prefix}/thumb.jpg": result.thumbnail,
            f"{prefix}/waveform.json": result.waveform,
        }
        async with self.storage.staging(prefix):
            await self.storage.put_file(key, result.path, result.content_type)
            for extra_key, path in extras.items():
                if path is not None:
                    await self.storage.put_file(extra_key, path)
        return IngestedFile(
            key=key,
            type=result.type,
            content_type=result.content_type,
            size_bytes=result.path.stat().st_size,
            width=result.width,
            height=result.height,
            duration=result.duration,
            frames=result.frames,
            thumbnail_key=f"{prefix}/thumb.jpg" if result.thumbnail else None,
            waveform_key=f"{prefix}/waveform.json" if result.waveform else None,
            extra_bytes=sum(p.stat().st_size for p in extras.values() if p is not None),
        )
