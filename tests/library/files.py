"""Files to upload: real pictures, clips and sounds made with Pillow and FFmpeg, and broken ones."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from services.video.ffmpeg import FFMPEG


def png(size: tuple[int, int] = (64, 48), colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    """A JPEG whose EXIF names a camera and says it is turned (orientation 6: 90° clockwise)."""
    image = Image.new("RGB", (80, 40), "blue")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 50_000) -> bytes:
    """A PNG header claiming side x side pixels (2.5 billion at 50,000) over a few bytes of data:
    what a decompression bomb looks like before anyone decodes it."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 4096))
        + _chunk(b"IEND", b"")
    )


def _ffmpeg(tmp: Path, name: str, *args: str) -> bytes:
    out = tmp / name
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", *args, "-y", str(out)], check=True
    )
    return out.read_bytes()


def mp4(tmp: Path, seconds: float = 2.0) -> bytes:
    """320x240 test pattern with a tone, moov first (as cameras and browsers write it)."""
    return _ffmpeg(
        tmp, "clip.mp4",
        "-f", "lavfi", "-i", f"testsrc=s=320x240:d={seconds}:r=24",
        "-f", "lavfi", "-i", f"sine=d={seconds}",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        "-movflags", "+faststart",
    )  # fmt: skip


def mp3(tmp: Path, seconds: float = 1.5) -> bytes:
    return _ffmpeg(
        tmp, "sound.mp3", "-f", "lavfi", "-i", f"sine=f=440:d={seconds}", "-c:a", "libmp3lame"
    )


def gif(frames: int = 3) -> bytes:
    pictures = [Image.new("RGB", (40, 30), c) for c in ("red", "green", "blue")[:frames]]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return buffer.getvalue()


def noise_png(size: tuple[int, int], seed: int = 1) -> bytes:
    """A PNG that does not compress: its size is about width x height x 3 bytes."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()
