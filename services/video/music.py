"""Background music generated offline with numpy: one short loop per mood, never downloaded.

Each mood is a chord progression played as a pad, a bass line, an optional arpeggio and an
optional light beat. The loop is synthesised at first use and cached as a WAV file; FFmpeg
loops it under the narration. Blocking: call `music_loop` through asyncio.to_thread.
"""

from __future__ import annotations

import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 44_100
# Part of the cached file name: bump it when the synthesis changes.
SYNTH_VERSION = 2
BARS = 8

Signal = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Mood:
    bpm: float
    root: int  # MIDI note of the key's tonic
    chords: tuple[tuple[int, ...], ...]  # semitones from the root, one chord per bar
    pad_harmonics: tuple[float, ...]
    arp_division: int  # notes per beat, 0 for none
    beat: bool


MOODS: dict[str, Mood] = {
    "soft": Mood(
        72, 60, ((0, 4, 7), (-3, 0, 4), (5, 9, 12), (7, 11, 14)), (1, 0.35, 0.1), 2, False
    ),
    "upbeat": Mood(
        118, 55, ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)), (1, 0.5, 0.3), 4, True
    ),
    "cinematic": Mood(
        64, 50, ((0, 3, 7), (-4, 0, 3), (3, 7, 10), (-2, 2, 5)), (1, 0.6, 0.4, 0.2), 1, False
    ),
    "corporate": Mood(
        104, 60, ((0, 4, 7), (5, 9, 12), (9, 12, 16), (7, 11, 14)), (1, 0.4, 0.15), 2, True
    ),
    "ambient": Mood(
        56, 53, ((0, 4, 7, 11), (5, 9, 12, 16), (-3, 0, 4, 7), (7, 12, 14)), (1, 0.2), 0, False
    ),
}


def _freq(midi: float) -> float:
    return float(440.0 * 2 ** ((midi - 69) / 12))


def _tone(freq: float, seconds: float, harmonics: tuple[float, ...], detune: float = 0) -> Signal:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    out = np.zeros_like(t)
    for k, amp in enumerate(harmonics, start=1):
        out += amp * np.sin(2 * np.pi * freq * (1 + detune) * k * t)
    return out


def _envelope(n: int, attack: float, release: float) -> Signal:
    env = np.ones(n)
    a = min(n, int(attack * SAMPLE_RATE))
    r = min(n - a, int(release * SAMPLE_RATE))
    env[:a] = np.linspace(0, 1, a)
    if r:
        env[n - r :] = np.linspace(1, 0, r)
    return env


def _add(track: npt.NDArray[np.float32], sound: Signal, at: float) -> None:
    start = int(at * SAMPLE_RATE)
    end = min(len(track), start + len(sound))
    track[start:end] += sound[: end - start]


def synthesise(mood: Mood) -> npt.NDArray[np.int16]:
    """A stereo loop of BARS bars, -20 dBFS RMS, as interleaved 16-bit samples."""
    beat = 60.0 / mood.bpm
    bar = 4 * beat
    n = int(BARS * bar * SAMPLE_RATE)
    # float32 tracks and in-place scaling: the service process stays small while it
    # synthesises (float64 with whole-track temporaries would multiply its peak).
    left, right = np.zeros(n, np.float32), np.zeros(n, np.float32)
    rng = np.random.default_rng(mood.root)
    for index in range(BARS):
        chord = mood.chords[index % len(mood.chords)]
        at = index * bar
        for offset in chord:
            note = _freq(mood.root + offset)
            env = _envelope(int(bar * SAMPLE_RATE), bar * 0.3, bar * 0.35)
            # Two slightly detuned voices, one per side: a wide, moving pad.
            _add(left, 0.2 * env * _tone(note, bar, mood.pad_harmonics, -0.003), at)
            _add(right, 0.2 * env * _tone(note, bar, mood.pad_harmonics, 0.003), at)
        bass = _envelope(int(bar * SAMPLE_RATE), 0.02, bar * 0.5) * _tone(
            _freq(mood.root + chord[0] - 24), bar, (1, 0.3)
        )
        _add(left, 0.3 * bass, at)
        _add(right, 0.3 * bass, at)
        if mood.arp_division:
            step = beat / mood.arp_division
            for k in range(4 * mood.arp_division):
                note = _freq(mood.root + 12 + chord[k % len(chord)])
                pluck = np.exp(-np.arange(int(step * 2 * SAMPLE_RATE)) / (0.12 * SAMPLE_RATE))
                sound = 0.12 * pluck * _tone(note, step * 2, (1, 0.3, 0.1))
                pan = 0.3 if k % 2 else 0.7
                _add(left, sound * (1 - pan), at + k * step)
                _add(right, sound * pan, at + k * step)
        if mood.beat:
            kick_t = np.arange(int(0.25 * SAMPLE_RATE)) / SAMPLE_RATE
            kick = np.sin(2 * np.pi * (45 * kick_t + 75 * (1 - np.exp(-kick_t * 30)) / 30))
            kick *= np.exp(-kick_t * 14) * 0.5
            hat = np.diff(rng.normal(0, 1, int(0.05 * SAMPLE_RATE) + 1))
            hat *= np.exp(-np.arange(len(hat)) / (0.012 * SAMPLE_RATE)) * 0.04
            for k in range(4):
                _add(left, kick, at + k * beat)
                _add(right, kick, at + k * beat)
                _add(left, hat, at + (k + 0.5) * beat)
                _add(right, hat, at + (k + 0.5) * beat)
    rms = float(np.sqrt((np.dot(left, left) + np.dot(right, right)) / (2 * n))) or 1.0
    out = np.empty((n, 2), np.int16)
    for channel, track in enumerate((left, right)):
        track *= 10 ** (-20 / 20) / rms
        np.clip(track, -0.95, 0.95, out=track)
        track *= 32767
        out[:, channel] = track
    return out


def music_loop(mood: str, cache_dir: Path) -> Path:
    """The mood's loop as a WAV file, synthesised on first use (atomic write: concurrent
    first uses each write their own temp file and the last rename wins)."""
    path = cache_dir / "music" / f"{mood}-v{SYNTH_VERSION}.wav"
    if path.is_file():
        return path
    samples = synthesise(MOODS[mood])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".wav")
    try:
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(samples.data)  # a view, not a copy of the samples
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
