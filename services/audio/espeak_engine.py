"""espeak-ng through ctypes: PCM samples plus the exact time each word starts.

The library keeps global state and is not thread-safe, so every call in the process runs in
one dedicated worker thread: requests queue there and the event loop never blocks. One
synthesis takes a small fraction of the speech's duration, so a queue costs little.
"""

from __future__ import annotations

import asyncio
import ctypes
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import espeakng_loader

# speak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_POS_CHARACTER = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_EE_OK = 0

DEFAULT_RATE_WPM = 175
DEFAULT_PITCH = 50


class _Event(ctypes.Structure):
    # espeak_EVENT; the trailing union is 8 bytes (an int, a pointer or char[8]).
    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_int64),
    )


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class WordEvent:
    char_index: int  # 0-based index into the synthesised text, in code points
    length: int
    seconds: float


@dataclass(frozen=True)
class RawSpeech:
    pcm: bytes  # signed 16-bit little-endian, mono
    sample_rate: int
    events: list[WordEvent]

    @property
    def duration(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


class EspeakError(RuntimeError):
    pass


class _Library:
    """The loaded library; only ever touched from the engine's single thread."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_Callback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        data_path = espeakng_loader.get_data_path().encode()
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
        if self.sample_rate <= 0:
            raise EspeakError("espeak-ng failed to initialise")
        self.lib = lib
        self._chunks: list[bytes] = []
        self._events: list[WordEvent] = []
        # Kept on self: ctypes would free the trampoline while the library still calls it.
        self._callback = _Callback(self._collect)
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_WORD:
                self._events.append(
                    WordEvent(event.text_position - 1, event.length, event.audio_position / 1000)
                )
            i += 1
        return 0  # 0 = carry on synthesising

    def synthesize(self, text: str, voice: str, rate: int, pitch: int) -> RawSpeech:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            raise EspeakError(f"espeak-ng has no voice {voice!r}")
        # Voice selection resets the parameters, so they are set after it, every time.
        self.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
        self._chunks, self._events = [], []
        data = text.encode()
        status = self.lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
        )
        if status != _EE_OK:
            raise EspeakError(f"espeak-ng synthesis failed with status {status}")
        pcm = b"".join(self._chunks)
        events = self._events
        self._chunks, self._events = [], []
        return RawSpeech(pcm, self.sample_rate, events)


class EspeakEngine:
    """espeak-ng's state is process-wide, so every engine shares one library and one thread,
    even when one process holds several apps (tests, the benchmark)."""

    _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")
    _library: _Library | None = None

    @classmethod
    def _synthesize(cls, text: str, voice: str, rate: int, pitch: int) -> RawSpeech:
        if cls._library is None:
            cls._library = _Library()
        return cls._library.synthesize(text, voice, rate, pitch)

    async def synthesize(self, text: str, voice: str, rate: int, pitch: int) -> RawSpeech:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._synthesize, text, voice, rate, pitch
        )

    async def warm_up(self) -> None:
        """Load the library and its data at start-up rather than on the first request."""
        await self.synthesize("ready", "en-us", DEFAULT_RATE_WPM, DEFAULT_PITCH)
