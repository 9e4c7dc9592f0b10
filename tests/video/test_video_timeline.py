"""Scene timing, segment planning, subtitle documents and the catalogs, without rendering."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from contracts.audio import WordTiming
from contracts.errors import ApiError
from contracts.video import Scene, SubtitlePosition, SubtitleStyle, Template
from services.video.catalog import SUBTITLE_POSITIONS, SUBTITLE_STYLES, TEMPLATES
from services.video.motion import frame_size
from services.video.settings import VideoSettings
from services.video.soundtrack import integrated_loudness
from services.video.sublayer import font_family_files
from services.video.subtitles import ass_document, cues_from_file, cues_from_words
from services.video.timeline import plan, scene_seconds


def words(text: str, step: float = 0.5) -> list[WordTiming]:
    return [
        WordTiming(word=w, start=i * step, end=i * step + step * 0.8)
        for i, w in enumerate(text.split())
    ]


def test_catalogs_match_the_request_validation() -> None:
    assert set(TEMPLATES) == set(typing.get_args(Template))
    assert set(SUBTITLE_STYLES) == set(typing.get_args(SubtitleStyle))
    assert set(SUBTITLE_POSITIONS) == set(typing.get_args(SubtitlePosition))
    needed = {"basic_fade", "slide_left", "slide_right", "zoom_in", "zoom_out", "ken_burns"}
    assert needed <= set(TEMPLATES)


def test_sizes_follow_resolution_and_aspect() -> None:
    assert frame_size("1080p", "16:9") == (1920, 1080)
    assert frame_size("1080p", "9:16") == (1080, 1920)
    assert frame_size("720p", "4:5") == (720, 900)
    assert frame_size("2160p", "1:1") == (2160, 2160)


def test_scene_seconds_from_durations_sections_or_equal_shares() -> None:
    scaled = scene_seconds(
        9.0, [Scene(image_key="a", duration=1), Scene(image_key="b", duration=2)], None
    )
    assert scaled == pytest.approx([3.0, 6.0])
    spoken = words("alpha beta gamma delta epsilon")
    sections = [
        Scene(image_key="a", text="Alpha beta gamma."),
        Scene(image_key="b", text="Delta epsilon"),
    ]
    assert scene_seconds(3.0, sections, spoken) == pytest.approx([1.5, 1.5])
    assert scene_seconds(3.0, [Scene(image_key="a")] * 3, spoken) == pytest.approx([1.0] * 3)
    with pytest.raises(ApiError):
        scene_seconds(3.0, [Scene(image_key="a", duration=1), Scene(image_key="b")], None)


def test_plan_covers_every_frame_once_and_ends_with_the_narration() -> None:
    timeline = plan([2.5, 3.0, 1.2, 20.0], fps=30, transition_seconds=0.8, chunk_frames=120)
    assert timeline.total_frames == round(26.7 * 30)
    assert timeline.segments[0].start == 0
    assert timeline.segments[-1].end == timeline.total_frames
    for a, b in zip(timeline.segments, timeline.segments[1:], strict=False):
        assert a.end == b.start
    # Transitions take at most half of the shorter scene, each a segment of its own.
    assert timeline.transitions == [0, 24, 18, 18]
    blended = [s for s in timeline.segments if s.blend]
    assert [(s.blend, s.frames, s.scenes) for s in blended] == [
        (24, 24, (0, 1)), (18, 18, (1, 2)), (18, 18, (2, 3))
    ]  # fmt: skip


def test_too_many_scenes_for_the_narration_is_422() -> None:
    with pytest.raises(ApiError) as raised:
        plan([0.01, 0.01, 0.01], fps=24, transition_seconds=0.5, chunk_frames=48)
    assert raised.value.status == 422


def test_word_highlight_has_one_event_per_word() -> None:
    cues = cues_from_words(words("one two three"), "tiktok_highlight", (1080, 1920))
    document = ass_document(
        cues, style="tiktok_highlight", position="middle", size=(1080, 1920), font="DejaVu Sans"
    )
    events = [line for line in document.splitlines() if line.startswith("Dialogue:")]
    assert len(events) == 3
    assert all("\\c&H0000FFFF&" in e for e in events)
    assert "PlayResY: 1920" in document
    plain = ass_document(cues, style="classic", position="top", size=(1080, 1920), font="X")
    assert len([line for line in plain.splitlines() if line.startswith("Dialogue:")]) == 1


def test_srt_and_vtt_files_become_cues() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i> {\\an8}\nworld\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nAgain\n"
    )
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.500\nHello there\n"
    parsed = cues_from_file(srt)
    assert [(c.start, c.end) for c in parsed] == [(1.0, 2.5), (3.0, 4.0)]
    assert parsed[0].text == "Hello\nworld"  # tags dropped, two lines kept
    assert cues_from_file(vtt)[0].text == "Hello there"
    with pytest.raises(ValueError, match="no cues"):
        cues_from_file("just some text")


def test_loudness_summary_is_read_and_silence_is_left_alone() -> None:
    summary = (
        "Summary:\n\n  Integrated loudness:\n    I:         -23.4 LUFS\n    Threshold: -33 LUFS"
    )
    assert integrated_loudness(summary) == pytest.approx(-23.4)
    assert integrated_loudness(summary.replace("-23.4", "-70.0")) is None
    assert integrated_loudness("nothing") is None


def test_subtitles_get_a_fonts_folder_of_their_font_alone(tmp_path: Path) -> None:
    fonts = VideoSettings().video_fonts_dir
    assert (fonts / "DejaVuSans.ttf").is_file(), "the DejaVu fonts are installed"
    own = font_family_files(fonts, "DejaVu Sans", tmp_path / "sans")
    assert own == tmp_path / "sans"
    assert sorted(p.name for p in own.iterdir()) == ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"]
    assert (own / "DejaVuSans.ttf").read_bytes() == (fonts / "DejaVuSans.ttf").read_bytes()
    # A font the folder has no files for: libass gets the whole folder, as before.
    assert font_family_files(fonts, "Noto Sans", tmp_path / "noto") == fonts
    assert not (tmp_path / "noto").exists()
    assert font_family_files(None, "DejaVu Sans", tmp_path / "none") is None
