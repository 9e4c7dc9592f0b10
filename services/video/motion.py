"""Frame sizes and the per-scene camera moves, as FFmpeg filter text.

Every scene image is first fitted (once, by Pillow) onto a canvas of OVERSCAN times the frame.
Every move zooms into that canvas (never below 1x), so there is always room to move, even when
the image already has the frame's aspect. `zoompan` crops a window of the canvas per frame and
scales it to the frame: one resample per output pixel, which measured cheaper than `scale`
with per-frame evaluation. Its window snaps to whole canvas pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.project import Resolution
from contracts.video import Aspect
from services.video.catalog import Motion

# zoompan's cost per frame grows with the canvas it samples from. The scene images (typically
# 1024-1792 px wide) are enlarged to the canvas anyway, so a larger canvas would cost time
# without adding detail.
OVERSCAN = 1.0

_SHORT_SIDE: dict[str, int] = {"720p": 720, "1080p": 1080, "1440p": 1440, "2160p": 2160}
_RATIO: dict[str, tuple[int, int]] = {
    "16:9": (16, 9),
    "9:16": (9, 16),
    "1:1": (1, 1),
    "4:5": (4, 5),
}


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def frame_size(resolution: Resolution, aspect: Aspect) -> tuple[int, int]:
    """'1080p' is the short side: 16:9 is 1920x1080, 9:16 is 1080x1920, 4:5 is 1080x1350."""
    short = _SHORT_SIDE[resolution]
    rw, rh = _RATIO[aspect]
    if rw >= rh:
        return _even(short * rw / rh), short
    return short, _even(short * rh / rw)


def canvas_size(width: int, height: int) -> tuple[int, int]:
    return _even(width * OVERSCAN), _even(height * OVERSCAN)


@dataclass(frozen=True)
class Move:
    """Zoom (1 shows the whole canvas) and the window's position as a fraction of the free
    room (0.5 is centred), from the clip's first frame to its last."""

    zoom: tuple[float, float]
    x: tuple[float, float] = (0.5, 0.5)
    y: tuple[float, float] = (0.5, 0.5)


_KEN_BURNS = (
    Move((1.0, 1.2), (0.5, 0.3), (0.5, 0.35)),
    Move((1.2, 1.02), (0.75, 0.5), (0.65, 0.5)),
    Move((1.08, 1.2), (0.2, 0.7), (0.5, 0.4)),
    Move((1.2, 1.06), (0.55, 0.35), (0.3, 0.7)),
)


def move_for(motion: Motion, scene: int) -> Move | None:
    """None: the scene does not move (the cheap path: scaled once, then repeated)."""
    match motion:
        case "still":
            return None
        case "zoom_in":
            return Move((1.0, 1.18))
        case "zoom_out":
            return Move((1.18, 1.0))
        case "pan_left":
            return Move((1.15, 1.15), (0.1, 0.9))
        case "pan_right":
            return Move((1.15, 1.15), (0.9, 0.1))
        case "ken_burns":
            return _KEN_BURNS[scene % len(_KEN_BURNS)]


def _lerp(pair: tuple[float, float], progress: str) -> str:
    a, b = pair
    return f"({a:.5f}{b - a:+.5f}*{progress})"


def motion_filter(
    move: Move | None,
    *,
    offset: int,
    frames: int,
    clip_frames: int,
    size: tuple[int, int],
    fps: int,
) -> str:
    """Filter text turning one canvas frame into `frames` frames of the move, starting at
    frame `offset` of a clip `clip_frames` long (so segments of one clip join seamlessly)."""
    width, height = size
    if move is None:
        return (
            f"scale={width}:{height}:flags=lanczos,loop=loop={frames - 1}:size=1,"
            f"settb=1/{fps},setpts=N"
        )
    progress = f"((on+{offset})/{max(clip_frames - 1, 1)})"
    zoom = _lerp(move.zoom, progress)
    x = f"(iw-iw/zoom)*{_lerp(move.x, progress)}"
    y = f"(ih-ih/zoom)*{_lerp(move.y, progress)}"
    return f"zoompan=z='{zoom}':x='{x}':y='{y}':d={frames}:s={width}x{height}:fps={fps}"
