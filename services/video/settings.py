"""The video service's one settings object (environment variables, case-insensitive)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field

from contracts.project import Resolution
from runtime.servicetoken import ServiceTokenSettings
from runtime.storage import StorageSettings

X264Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"]


class VideoSettings(StorageSettings, ServiceTokenSettings):
    log_level: str = "INFO"
    # Inline word timings can be long: 20,000 words of JSON.
    max_body_bytes: int = 4_000_000

    # Renders (and subtitle burns) at once in this process; one more answers 429.
    video_max_concurrent_renders: int = Field(default=1, ge=1, le=16)
    video_retry_after_seconds: int = Field(default=30, ge=1, le=3600)
    # FFmpeg segment encoders run side by side within one render: one per core by default.
    video_parallel_segments: int = Field(default=max(1, os.cpu_count() or 1), ge=1, le=32)

    # Input limits: what one render may ask for.
    video_max_scenes: int = Field(default=200, ge=1, le=200)
    video_max_duration_seconds: float = Field(default=1800.0, gt=0)
    video_max_resolution: Resolution = "2160p"
    video_max_image_bytes: int = Field(default=30_000_000, gt=0)
    video_max_image_pixels: int = Field(default=60_000_000, gt=0)
    video_max_audio_bytes: int = Field(default=300_000_000, gt=0)
    video_max_video_bytes: int = Field(default=2_000_000_000, gt=0)
    video_max_words_bytes: int = Field(default=5_000_000, gt=0)

    # x264: superfast without B-frames (see segments.py) at CRF 21 keeps the source frames'
    # detail at 1080p, clear of the blocky ultrafast output the old service produced, and
    # costs less than superfast's default.
    video_x264_preset: X264Preset = "superfast"
    video_crf: int = Field(default=21, ge=14, le=32)
    # A render that takes longer than this is stopped (FFmpeg killed, nothing kept).
    video_render_timeout_seconds: float = Field(default=1800.0, gt=0)

    # Fonts for burned subtitles (libass); the generated music loops are cached here.
    video_fonts_dir: Path = Path("/usr/share/fonts/truetype/dejavu")
    video_font_name: str = "DejaVu Sans"
    video_cache_dir: Path = Path("data/cache/video")
    video_temp_dir: Path | None = None
    # Finished renders remembered for GET /renders/{id}.
    video_progress_entries: int = Field(default=1000, ge=10)

    # Segment cache (regenerate only what changed): encoded segments kept in media storage
    # under cache/segments/, swept down to this many bytes; 0 keeps none.
    video_segment_cache_bytes: int = Field(default=5_000_000_000, ge=0)
    # A stored segment unused this long is removed by the next sweep; 0: no age limit.
    video_segment_cache_ttl_seconds: float = Field(default=7 * 86400.0, ge=0)
    # Timeline render: VP9's constant-quality level for webm output (its scale is not x264's).
    video_vp9_crf: int = Field(default=33, ge=14, le=40)

    # Uploads (POST /ingest): what one uploaded image, GIF, clip or audio file may be.
    video_ingest_max_bytes: int = Field(default=500_000_000, gt=0)
    video_ingest_max_image_pixels: int = Field(default=50_000_000, gt=0)
    video_ingest_max_gif_frames: int = Field(default=500, ge=1)
    video_ingest_max_gif_pixels: int = Field(default=40_000_000, gt=0)
    video_ingest_max_side: int = Field(default=4096, ge=16)
    video_ingest_max_video_seconds: float = Field(default=600.0, gt=0)
    video_ingest_max_audio_seconds: float = Field(default=1800.0, gt=0)
    video_ingest_max_streams: int = Field(default=4, ge=1)
    video_ingest_concurrency: int = Field(default=2, ge=1, le=16)

    # AI music (POST /music/generate): the offline synthesiser, or ElevenLabs Music.
    video_music_provider: Literal["synth", "elevenlabs"] = "synth"
    video_elevenlabs_api_key: str | None = Field(default=None, repr=False)
    video_elevenlabs_base_url: str = "https://api.elevenlabs.io"
    video_music_timeout_seconds: float = Field(default=300.0, gt=0)
    video_music_http_attempts: int = Field(default=2, ge=1, le=5)
    video_music_max_backoff_seconds: float = Field(default=30.0, gt=0)
    video_music_max_bytes: int = Field(default=50_000_000, gt=0)
    video_music_max_concurrency: int = Field(default=2, ge=1, le=16)

    # Lip-sync (POST /lip-sync): the offline talking-avatar stand-in, or Sync (sync.so).
    video_lipsync_provider: Literal["avatar", "sync"] = "avatar"
    video_lipsync_timeout_seconds: float = Field(default=900.0, gt=0)
    video_lipsync_max_concurrency: int = Field(default=1, ge=1, le=16)
    video_sync_api_key: str | None = Field(default=None, repr=False)
    video_sync_base_url: str = "https://api.sync.so"
    video_sync_model: str = "lipsync-2"
    video_sync_poll_seconds: float = Field(default=5.0, gt=0)
    video_sync_http_timeout_seconds: float = Field(default=120.0, gt=0)
    video_sync_http_attempts: int = Field(default=3, ge=1, le=5)
    video_sync_max_backoff_seconds: float = Field(default=30.0, gt=0)
