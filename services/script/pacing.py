"""How many words fit in a given speaking time, per language.

Figures are narration rates (calm voice-over, not conversation), in words per minute. They differ
by language because average word length does: German packs meaning into long compounds, so fewer
words fill a minute; Spanish and Italian use more, shorter words.

| language | words/min |
|----------|-----------|
| en       | 150       |
| fr       | 145       |
| es       | 155       |
| de       | 125       |
| it       | 150       |
| pt       | 150       |
"""

from __future__ import annotations

import re

WORDS_PER_MINUTE: dict[str, int] = {
    "en": 150,
    "fr": 145,
    "es": 155,
    "de": 125,
    "it": 150,
    "pt": 150,
}

# When the caller gives no duration: enough for a hook and a point per scene.
DEFAULT_SECONDS_PER_SECTION = 20
MIN_DEFAULT_SECONDS = 30

# A word is a run of letters or digits, joined by apostrophes or hyphens ("l'idée", "well-known");
# quote marks and dashes are not spoken words.
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def planned_seconds(duration: float, nb_section: int) -> float:
    if duration > 0:
        return float(duration)
    return float(max(MIN_DEFAULT_SECONDS, DEFAULT_SECONDS_PER_SECTION * nb_section))


def words_for(language: str, seconds: float) -> int:
    return max(1, round(seconds / 60 * WORDS_PER_MINUTE[language]))


def seconds_for(language: str, words: int) -> float:
    return round(words * 60 / WORDS_PER_MINUTE[language], 1)
