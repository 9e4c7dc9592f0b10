"""The six app voice ids, as each provider speaks them, per language.

espeak-ng voices are local formant voices: each app id maps to a distinct espeak-ng variant
(a gendered timbre and pitch) of the language's own voice. They borrow OpenAI's names only
because the app sends those names; they do not sound like OpenAI's voices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from contracts.audio import AudioProvider, Gender, Voice
from contracts.project import Language, VoiceId

VOICE_IDS: tuple[VoiceId, ...] = get_args(VoiceId)
LANGUAGES: tuple[Language, ...] = get_args(Language)

# The app lists alloy, nova and shimmer as female voices and echo, fable and onyx as male ones.
GENDERS: dict[VoiceId, Gender] = {
    "alloy": "female",
    "echo": "male",
    "fable": "male",
    "onyx": "male",
    "nova": "female",
    "shimmer": "female",
}

# espeak-ng variant per app id: m3 plain, m1 warm, m8 deep; f2, f3, f4 from low to high.
_ESPEAK_VARIANTS: dict[VoiceId, str] = {
    "alloy": "f2",
    "echo": "m3",
    "fable": "m1",
    "onyx": "m8",
    "nova": "f3",
    "shimmer": "f4",
}
_ESPEAK_LANGUAGES: dict[Language, tuple[str, str]] = {
    "en": ("en-us", "American English"),
    "fr": ("fr", "French"),
    "es": ("es", "Spanish"),
    "de": ("de", "German"),
    "it": ("it", "Italian"),
    "pt": ("pt", "Portuguese"),
}
# Fable is OpenAI's British-sounding voice: in English it gets espeak-ng's British voice.
_ESPEAK_OVERRIDES: dict[tuple[VoiceId, Language], tuple[str, str]] = {
    ("fable", "en"): ("en", "British English"),
}

_LANGUAGE_NAMES = {lang: name for lang, (_, name) in _ESPEAK_LANGUAGES.items()}
_LANGUAGE_NAMES["en"] = "English"


@dataclass(frozen=True)
class VoiceChoice:
    """What a provider needs to speak: its own voice name, and the catalogue entry."""

    engine_voice: str
    voice: Voice


def espeak_voice(voice_id: VoiceId, language: Language) -> VoiceChoice:
    base, label = _ESPEAK_OVERRIDES.get((voice_id, language), _ESPEAK_LANGUAGES[language])
    variant = _ESPEAK_VARIANTS[voice_id]
    engine_voice = f"{base}+{variant}"
    gender = GENDERS[voice_id]
    return VoiceChoice(
        engine_voice,
        Voice(
            id=voice_id,
            name=f"{voice_id.capitalize()} (espeak-ng {engine_voice})",
            language=language,
            gender=gender,
            provider="espeak",
            description=f"Local espeak-ng {label} voice, {gender} variant {variant}; "
            "offline and instant, robotic in tone. Not OpenAI's voice of that name.",
        ),
    )


def cloud_voice(
    provider: AudioProvider, voice_id: VoiceId, language: Language, engine_voice: str, label: str
) -> VoiceChoice:
    """A multilingual cloud voice: the same voice speaks every language."""
    return VoiceChoice(
        engine_voice,
        Voice(
            id=voice_id,
            name=f"{voice_id.capitalize()} ({label})",
            language=language,
            gender=GENDERS[voice_id],
            provider=provider,
            description=f"{label} voice {engine_voice!r} speaking {_LANGUAGE_NAMES[language]}; "
            "speed is honoured, pitch is not adjustable with this provider.",
        ),
    )
