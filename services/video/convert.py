"""A project render (RenderRequest, POST /render) as the timeline it is: one render path."""

from __future__ import annotations

from contracts.timeline import Background, Music, Timeline, TimelineOutput, TimelineScene
from contracts.video import RenderRequest


def as_timeline(request: RenderRequest) -> Timeline:
    music = Music(mood=request.music, volume=request.music_volume) if request.music else None
    return Timeline(
        render_id=request.render_id,
        scenes=[
            TimelineScene(
                id=f"scene-{i}",
                background=Background(key=scene.image_key, fit=request.fit),
                duration=scene.duration,
                text=scene.text,
            )
            for i, scene in enumerate(request.scenes)
        ],
        narration_key=request.narration_key,
        words=request.words,
        words_key=request.words_key,
        template=request.template,
        transition_seconds=request.transition_seconds,
        music=music,
        output=TimelineOutput(
            resolution=request.resolution,
            aspect=request.aspect,
            fps=request.fps,
            crf=request.output.crf,
            audio_bitrate_kbps=request.output.audio_bitrate_kbps,
            subtitles=request.subtitles,
        ),
    )
