"""Cutting a narration into pieces a cloud TTS provider accepts in one request."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SENTENCE_BREAK = re.compile(r"(?<=[.!?\u2026])\s+")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut between sentences, else between words."""
    sentences = _SENTENCE_BREAK.split(text.strip())
    return _pack((part for sentence in sentences for part in _fit(sentence, limit)), limit)


def _fit(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    # One "word" longer than the limit (a pasted URL) is cut: nothing better exists.
    cuts = (word[i : i + limit] for word in sentence.split() for i in range(0, len(word), limit))
    return _pack(cuts, limit)


def _pack(parts: Iterable[str], limit: int) -> list[str]:
    """Consecutive parts (none over `limit`) joined by spaces into as few pieces as fit."""
    pieces: list[str] = []
    current = ""
    for part in parts:
        joined = f"{current} {part}" if current else part
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = part
    if current:
        pieces.append(current)
    return pieces
