"""A waveform for the editor's audio library: the loudest sample per slice of time, as JSON.

Blocking (it decodes the whole audio stream): call `waveform_json` through asyncio.to_thread.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np

PEAKS = 200


def waveform_json(src: Path, duration: float, peaks: int = PEAKS) -> bytes:
    """`{"duration": s, "peaks": [0..1 per slice]}` of the first audio stream."""
    slices = np.zeros(peaks)
    with av.open(str(src)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            samples = frame.to_ndarray()
            if frame.time is None or duration <= 0 or samples.size == 0:
                continue
            loud = np.abs(samples.astype(np.float64)).reshape(-1)
            if samples.dtype.kind in "iu":
                # Integer PCM (WAV, FLAC): scaled to the float formats' -1..1.
                loud /= float(2 ** (8 * samples.dtype.itemsize - 1))
            loud = np.minimum(loud, 1.0)
            seconds = frame.samples / (frame.sample_rate or 1)
            first = min(int(frame.time / duration * peaks), peaks - 1)
            last = min(int((frame.time + seconds) / duration * peaks), peaks - 1)
            if first == last:
                slices[first] = max(slices[first], float(loud.max()))
                continue
            # A frame spanning several slices (short files): spread its samples over its time.
            times = frame.time + np.arange(loud.size) / loud.size * seconds
            at = np.minimum((times / duration * peaks).astype(np.int64), peaks - 1)
            np.maximum.at(slices, at, loud)
    body = {"duration": duration, "peaks": [round(float(p), 4) for p in slices]}
    return json.dumps(body, separators=(",", ":")).encode()
