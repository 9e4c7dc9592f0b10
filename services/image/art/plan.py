"""From a prompt to a scene plan: setting, time of day, weather, features, people, palette.

Keywords decide what they can (a "sunset over the ocean" gets a low sun over water); a hash of the
prompt decides the rest, so the same prompt always gives the same plan.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

Setting = Literal["landscape", "city", "interior", "space"]
TimeOfDay = Literal["day", "golden", "dawn", "night"]
Weather = Literal["clear", "cloudy", "rain", "snow", "fog"]

# Word stems (matched at the start of a word) and what they say about the scene.
SETTING_WORDS: dict[Setting, tuple[str, ...]] = {
    "space": (
        "space",
        "galax",
        "planet",
        "cosmos",
        "cosmic",
        "universe",
        "astronaut",
        "nebula",
        "orbit",
        "rocket",
        "mars",
        "saturn",
        "asteroid",
    ),
    "interior": (
        "office",
        "room",
        "desk",
        "kitchen",
        "classroom",
        "school",
        "library",
        "hospital",
        "cafe",
        "coffee",
        "studio",
        "meeting",
        "laptop",
        "computer",
        "bedroom",
        "indoor",
        "home",
        "workspace",
        "workplace",
        "book",
        "study",
        "reading",
        "doctor",
        "clinic",
    ),
    "city": (
        "city",
        "urban",
        "street",
        "skyline",
        "building",
        "downtown",
        "skyscraper",
        "town",
        "metropol",
        "traffic",
        "neon",
        "cyber",
        "futur",
        "tech",
        "robot",
        "digital",
        "ai",
        "business",
        "market",
        "money",
        "finance",
        "startup",
    ),
}
FEATURE_WORDS: dict[str, tuple[str, ...]] = {
    "water": (
        "ocean",
        "sea",
        "beach",
        "lake",
        "river",
        "wave",
        "coast",
        "shore",
        "island",
        "harbo",
        "water",
        "sail",
        "boat",
        "surf",
        "bay",
    ),
    "mountains": (
        "mountain",
        "peak",
        "alp",
        "summit",
        "cliff",
        "hik",
        "volcan",
        "valley",
        "climb",
        "stoic",
        "strength",
        "challenge",
        "goal",
        "success",
        "achiev",
    ),
    "forest": ("forest", "tree", "wood", "jungle", "park", "garden", "nature", "pine", "leaf"),
    "desert": ("desert", "dune", "sand", "sahara", "canyon", "arid", "camel"),
    "snow": ("snow", "winter", "ice", "frozen", "christmas", "cold", "arctic", "frost"),
    "field": ("field", "meadow", "farm", "grass", "countryside", "hill", "spring", "flower"),
    "beach": ("beach", "shore", "coast", "tropic", "island", "surf"),
    # Props for rooms.
    "books": ("book", "library", "study", "read", "school", "learn", "knowledge", "wisdom"),
    "screen": ("computer", "laptop", "office", "desk", "work", "tech", "ai", "digital", "code"),
    "clinic": ("hospital", "clinic", "doctor", "health", "medic", "nurse"),
}
TIME_WORDS: dict[TimeOfDay, tuple[str, ...]] = {
    "night": (
        "night",
        "moon",
        "stars",
        "starry",
        "midnight",
        "dark",
        "sleep",
        "dream",
        "neon",
        "cyber",
    ),
    "golden": ("sunset", "dusk", "evening", "golden", "autumn", "fall", "warm", "nostalg"),
    "dawn": ("sunrise", "dawn", "morning", "hope", "begin", "new", "calm", "peace", "serene"),
    "day": ("day", "noon", "sunny", "bright", "summer", "happy", "joy", "sunshine"),
}
WEATHER_WORDS: dict[Weather, tuple[str, ...]] = {
    "rain": ("rain", "storm", "thunder", "wet", "umbrella"),
    "snow": ("snow", "blizzard", "snowfall"),
    "fog": ("fog", "mist", "haze", "mysterious"),
    "cloudy": ("cloud", "overcast", "sad", "melanchol", "lonely", "grey", "gray"),
}
CROWD_WORDS = ("people", "crowd", "team", "family", "friends", "group", "community", "audience")
PAIR_WORDS = ("couple", "two", "partner", "lover", "together")
PERSON_WORDS = (
    "person",
    "man",
    "woman",
    "child",
    "kid",
    "boy",
    "girl",
    "someone",
    "student",
    "entrepreneur",
    "philosopher",
    "worker",
    "meditat",
    "walk",
    "runner",
    "hiker",
    "traveler",
    "traveller",
    "he",
    "she",
    "astronaut",
    "doctor",
    "teacher",
    "leader",
    "athlete",
)

WORD = re.compile(r"[a-z]+")
K = TypeVar("K", bound=str)


@dataclass(frozen=True)
class Plan:
    setting: Setting
    time: TimeOfDay
    weather: Weather
    features: frozenset[str]
    people: int
    seed: int

    def rng(self, salt: str) -> np.random.Generator:
        """An independent, repeatable random stream per drawing step."""
        digest = hashlib.sha256(f"{self.seed}:{salt}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _matches(words: list[str], stems: tuple[str, ...]) -> int:
    """How many words start with one of the stems (stems of two letters must match whole)."""
    return sum(
        1
        for word in words
        for stem in stems
        if word == stem or (len(stem) > 2 and word.startswith(stem))
    )


def _best(words: list[str], table: dict[K, tuple[str, ...]]) -> K | None:
    scores = {key: _matches(words, stems) for key, stems in table.items()}
    best = max(scores, key=lambda key: scores[key])
    return best if scores[best] > 0 else None


def plan_scene(prompt: str, seed: int | None = None) -> Plan:
    """The same prompt (and seed) always gives the same plan, whatever the style."""
    text = prompt.lower()
    digest = hashlib.sha256(f"{' '.join(text.split())}|{seed}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    rng = np.random.default_rng(number)
    words = WORD.findall(text)

    features = {key for key, stems in FEATURE_WORDS.items() if _matches(words, stems)}
    setting = _best(words, SETTING_WORDS) or "landscape"
    time = _best(words, TIME_WORDS)
    if time is None:
        # Unspecified: mostly daylight, sometimes a warm evening; cities glow at night.
        choices: list[TimeOfDay] = ["day", "golden", "dawn", "night"]
        weights = [0.2, 0.3, 0.2, 0.3] if setting == "city" else [0.45, 0.3, 0.2, 0.05]
        time = choices[int(rng.choice(4, p=weights))]
    weather = _best(words, WEATHER_WORDS) or ("snow" if "snow" in features else "clear")
    if weather == "clear" and rng.random() < 0.5:
        weather = "cloudy"
    if setting == "landscape" and not features & {
        "water",
        "mountains",
        "desert",
        "field",
        "forest",
    }:
        # A bare landscape still needs a subject: pick one from the hash.
        features.add(("mountains", "field", "water")[int(rng.integers(3))])

    if _matches(words, CROWD_WORDS):
        people = 3
    elif _matches(words, PAIR_WORDS):
        people = 2
    elif _matches(words, PERSON_WORDS):
        people = 1
    else:
        people = 0
    return Plan(setting, time, weather, frozenset(features), people, number)
