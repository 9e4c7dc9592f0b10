"""Per-render progress kept in memory for GET /renders/{id}, and the per-process render limit."""

from __future__ import annotations

from collections import OrderedDict

from contracts.errors import ApiError
from contracts.video import RenderProgress, Stage

_FINISHED = ("done", "failed")


class ProgressBoard:
    """The latest state of each render; the oldest finished ones are forgotten past `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[str, RenderProgress] = OrderedDict()

    def start(self, render_id: str) -> None:
        current = self._items.get(render_id)
        if current is not None and current.stage not in _FINISHED:
            raise ApiError(409, f"Render {render_id} is already running")
        self._items[render_id] = RenderProgress(render_id=render_id, stage="queued", percent=0)
        self._items.move_to_end(render_id)
        while len(self._items) > self.limit:
            oldest = next(
                (k for k, v in self._items.items() if v.stage in _FINISHED), None
            ) or next(iter(self._items))
            del self._items[oldest]

    def update(
        self,
        render_id: str,
        stage: Stage,
        percent: float,
        *,
        reason: str | None = None,
        video_key: str | None = None,
    ) -> None:
        self._items[render_id] = RenderProgress(
            render_id=render_id,
            stage=stage,
            percent=round(min(100.0, max(0.0, percent)), 1),
            reason=reason,
            video_key=video_key,
        )

    def get(self, render_id: str) -> RenderProgress | None:
        return self._items.get(render_id)


class RenderGate:
    """At most `limit` renders at once; one more is refused with 429 and Retry-After rather
    than queued, so callers see back-pressure instead of a request hanging for minutes."""

    def __init__(self, limit: int, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self.active = 0

    def enter(self) -> None:
        if self.active >= self.limit:
            raise ApiError(
                429,
                f"The video service is busy ({self.active} render(s) running); "
                f"retry in {self.retry_after} s",
                details={"retryAfter": self.retry_after},
                headers={"Retry-After": str(self.retry_after)},
            )
        self.active += 1

    def leave(self) -> None:
        self.active -= 1


class Progress:
    """Maps a render's steps onto one percentage: fetching 0-5, rendering 5-90, muxing 90-95,
    saving 95-100."""

    def __init__(self, board: ProgressBoard, render_id: str) -> None:
        self.board = board
        self.render_id = render_id
        self.percent = 0.0

    def stage(self, stage: Stage, percent: float) -> None:
        self.percent = percent
        self.board.update(self.render_id, stage, percent)

    def frames(self, done: int, total: int) -> None:
        self.stage("rendering", 5 + 85 * done / max(total, 1))
