"""Cutting a narration into pieces a cloud TTS provider accepts in one request."""

from __future__ import annotations

import re

_SENTENCE_BREAK = re.compile(r"(?<=[.!?\u2026])\s+")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut between sentences, else between words."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_BREAK.split(text.strip()):
        for part in _fit(sentence, limit):
            joined = f"{current} {part}" if current else part
            if len(joined) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _fit(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    parts: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > limit:
            # One "word" longer than the limit (a pasted URL): cut it; nothing better exists.
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        joined = f"{current} {word}" if current else word
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = word
    if current:
        parts.append(current)
    return parts
