"""Voice ids as the voice list shows them: one per voice and language (`en-alloy`).

The audio service speaks six voices in every language; the editor's list wants one entry per
language, so an id names both. A bare voice (`alloy`) is accepted too, with its language apart.
"""

from __future__ import annotations

from typing import get_args

from contracts.project import Language, VoiceId

VOICE_IDS: tuple[str, ...] = get_args(VoiceId)
LANGUAGES: tuple[str, ...] = get_args(Language)


def listed_id(voice: str, language: str) -> str:
    return f"{language}-{voice}"


def parse_voice_id(value: str, language: str | None) -> tuple[str, str]:
    """(voice, language) of a listed or bare id; ValueError naming the valid ones."""
    head, _, tail = value.partition("-")
    if tail and head in LANGUAGES and tail in VOICE_IDS:
        if language is not None and language != head:
            raise ValueError(f"voice {value!r} speaks {head!r}, not {language!r}")
        return tail, head
    if value in VOICE_IDS:
        return value, language or "en"
    raise ValueError(
        f"unknown voice {value!r}: use one of {', '.join(VOICE_IDS)}, or a listed id such as "
        f"'en-alloy' (GET /api/v1/voices)"
    )
