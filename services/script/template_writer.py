"""The offline default provider: a deterministic writer built from per-language sentence banks.

It is a template writer and says so (`provider: "template"`): it knows nothing about the topic
beyond its name and keywords, so it writes a well-formed, honest scaffold for the chosen video
type (hook, one point per scene, sign-off) that fills the requested speaking time. Every bank holds
roughly 500 distinct words per video type and language; longer scripts (beyond about 3 minutes)
reuse sentences.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field

from services.script.brief import Brief
from services.script.pacing import count_words
from services.script.phrasebook import Kind, KindBank, Phrasebook, phrasebook, visuals
from services.script.placeholders import fill
from services.script.writer import Draft, Scene

MAX_DERIVED_KEYWORDS = 5
MAX_HASHTAGS = 5
# A point reused in a long list gets a different shot, so the pictures do not repeat.
_SHOT_VARIANTS = (
    "",
    ", seen in close-up",
    ", wide establishing shot",
    ", at dusk with long shadows",
)
_WORD = re.compile(r"\w+")


@dataclass
class _Slot:
    """What one scene is about: its opening sentence, its own sentences and its picture."""

    lead: str
    body: list[str]
    picture: str
    point_id: str | None = None


@dataclass
class _Section:
    """One scene's sentences by place: tone line, hook, the point, closing lines, sign-off."""

    tone: list[str] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    middle: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    words: int = 0

    def add(self, part: list[str], sentence: str) -> None:
        part.append(sentence)
        self.words += count_words(sentence)

    def text(self) -> str:
        return " ".join([*self.tone, *self.head, *self.middle, *self.tail, *self.closing])


class TemplateWriter:
    provider = "template"
    model: str | None = None

    async def write_script(self, brief: Brief) -> Draft:
        return await asyncio.to_thread(compose_script, brief)

    async def write_description(self, brief: Brief) -> str:
        return await asyncio.to_thread(compose_description, brief)

    async def aclose(self) -> None:
        return None


def _kind(brief: Brief) -> Kind:
    return brief.type_video or "GENERAL"


def _quote(book: Phrasebook, text: str) -> str:
    # Quoting keeps any topic grammatical inside a sentence in every language (no article or
    # gender agreement to guess).
    return f"{book.quotes[0]}{text}{book.quotes[1]}"


def _slots(brief: Brief, book: Phrasebook, rng: random.Random) -> list[_Slot]:
    kind = _kind(brief)
    bank = book.kinds[kind]
    pictures = visuals()
    topic = _quote(book, brief.topic)
    slots: list[_Slot] = []
    if kind == "X_THINGS_TO_DO":
        # The caller's keywords are the things to do; generic advice fills the rest.
        for keyword in brief.keywords[: brief.nb_section]:
            values = {"item": _quote(book, keyword), "topic": topic}
            slots.append(
                _Slot(
                    lead=fill(book.item_lead, {"n": len(slots) + 1, "item": keyword}),
                    body=[fill(text, values) for text in book.item_body],
                    picture=fill(pictures.item, {"item": keyword}),
                )
            )
    remaining = brief.nb_section - len(slots)
    points = list(bank.points)
    if kind == "GENERAL":
        # Explanations have a natural order (basics before examples): pick, don't shuffle.
        if remaining < len(points):
            points = [points[i] for i in sorted(rng.sample(range(len(points)), remaining))]
    else:
        rng.shuffle(points)
    for offset in range(remaining):
        repeat, index = divmod(offset, len(points))
        point = points[index]
        shot = _SHOT_VARIANTS[repeat % len(_SHOT_VARIANTS)]
        slots.append(
            _Slot(
                lead=fill(point.lead, {"n": len(slots) + 1, "topic": topic}),
                body=[fill(text, {"topic": topic}) for text in point.body],
                picture=pictures.kinds[kind][point.id] + shot,
                point_id=point.id,
            )
        )
    return slots


def _spare_sentences(
    brief: Brief, book: Phrasebook, bank: KindBank, rng: random.Random, slots: list[_Slot]
) -> list[str]:
    """Sentences any scene may borrow to reach its length: bridges, then unused points."""
    topic = _quote(book, brief.topic)
    in_use = {slot.point_id for slot in slots}
    spare = [fill(text, {"topic": topic}) for text in book.bridges]
    for point in bank.points:
        if point.id not in in_use:
            spare.extend(fill(text, {"topic": topic}) for text in point.body)
    rng.shuffle(spare)
    return spare


def _closer(current: int, extra: int, budget: float) -> bool:
    return abs(current + extra - budget) < abs(current - budget)


@dataclass
class _Lines:
    """The sentences a script's scenes draw on, beside each scene's own point."""

    intro: list[str]
    outro: list[str]
    spare: list[str]
    reserve: list[str]
    # The keyword line of each scene, when the keywords get lines of their own.
    keyword_lines: list[str | None]


def _keyword_lines(
    brief: Brief, book: Phrasebook, topic: str, count: int, line_offset: int, items: bool
) -> list[str | None]:
    # Keyword items are the points themselves: no line of their own.
    if not brief.keywords or items:
        return [None] * count
    lines: list[str | None] = []
    for i in range(count):
        keyword = _quote(book, brief.keywords[i % len(brief.keywords)])
        line = book.keyword_lines[(line_offset + i) % len(book.keyword_lines)]
        lines.append(fill(line, {"keyword": keyword, "topic": topic}))
    return lines


def _optional(
    i: int, count: int, slot: _Slot, section: _Section, lines: _Lines, tone: str | None
) -> list[tuple[list[str], str]]:
    """By priority: hook, sign-off and tone, then the point's first sentence, the scene's
    keyword, the rest of the point, more opening and closing lines, borrowed sentences."""
    optional: list[tuple[list[str], str]] = []
    if i == 0:
        optional.append((section.head, lines.intro[0]))
    if i == count - 1:
        optional.append((section.closing, lines.outro[-1]))
    if i == 0 and tone:
        optional.append((section.tone, tone))
    optional += [(section.middle, text) for text in slot.body]
    if (filled := lines.keyword_lines[i]) is not None:
        optional.insert(len(optional) - len(slot.body) + 1, (section.middle, filled))
    if i == 0:
        optional += [(section.head, text) for text in lines.intro[1:]]
    if i == count - 1:
        optional += [(section.tail, text) for text in lines.outro[:-1]]
    optional += [(section.middle, text) for text in lines.spare]
    return optional


def _pad(section: _Section, slot: _Slot, lines: _Lines, budget: float) -> None:
    """Long scripts outgrow the bank: reuse sentences, first those not yet in this scene, and
    only when a single scene runs for minutes, the scene's own ones again."""
    recycle = [*slot.body, *lines.spare, *lines.reserve]
    fresh = [text for text in recycle if text not in section.middle]
    rounds = 1 + int(budget // max(1, sum(count_words(text) for text in recycle)))
    for text in fresh + recycle * rounds:
        if section.words >= budget:
            break
        if _closer(section.words, count_words(text), budget):
            section.add(section.middle, text)


def _scene_text(
    i: int, count: int, slot: _Slot, lines: _Lines, tone: str | None, budget: float, used: set[str]
) -> _Section:
    section = _Section()
    section.add(section.middle, slot.lead)
    for part, text in _optional(i, count, slot, section, lines, tone):
        if section.words >= budget:
            break
        if text not in used and _closer(section.words, count_words(text), budget):
            section.add(part, text)
            used.add(text)
    _pad(section, slot, lines, budget)
    return section


def compose_script(brief: Brief) -> Draft:
    book = phrasebook(brief.language)
    kind = _kind(brief)
    bank = book.kinds[kind]
    rng = random.Random(brief.seed())  # noqa: S311 - variety, not secrecy
    slots = _slots(brief, book, rng)
    count = len(slots)
    topic = _quote(book, brief.topic)
    intro = [fill(text, {"topic": topic, "count": count}) for text in bank.intro]
    outro = [fill(text, {"topic": topic}) for text in bank.outro]
    spare = _spare_sentences(brief, book, bank, rng, slots)
    reserve = [fill(text, {"topic": topic}) for point in bank.points for text in point.body]
    line_offset = rng.randrange(len(book.keyword_lines))
    keyword_items = kind == "X_THINGS_TO_DO"
    keyword_lines = _keyword_lines(brief, book, topic, count, line_offset, keyword_items)
    lines = _Lines(intro, outro, spare, reserve, keyword_lines)
    tone = book.tones[brief.style] if brief.style else None
    used: set[str] = set()
    written = 0
    scenes: list[Scene] = []
    for i, slot in enumerate(slots):
        budget = (brief.target_words - written) / (count - i)
        section = _scene_text(i, count, slot, lines, tone, budget, used)
        written += section.words
        picture = f"{slot.picture}, evoking the idea of {brief.topic}"
        scenes.append(Scene(narration=section.text(), image_prompt=picture))
    title = brief.title or fill(bank.title, {"topic": brief.topic, "count": count})
    keywords = list(brief.keywords) or _derived_keywords(brief, book, bank)
    description = fill(bank.video_description, {"topic": topic, "count": count})
    tags = ["#" + "".join(w[:1].upper() + w[1:] for w in _WORD.findall(k)) for k in keywords]
    video_description = f"{description}\n\n{' '.join(tags[:MAX_HASHTAGS])}"
    return Draft(title, scenes, keywords, video_description)


def _derived_keywords(brief: Brief, book: Phrasebook, bank: KindBank) -> list[str]:
    found: list[str] = []
    for word in _WORD.findall(f"{brief.topic} {brief.description}".lower()):
        content = len(word) >= 4 and not word.isdigit() and word not in book.stopwords
        if content and word not in found:
            found.append(word)
    return found[:MAX_DERIVED_KEYWORDS] + [k for k in bank.kind_keywords if k not in found]


def _duration_text(book: Phrasebook, seconds: float) -> str:
    if seconds < 90:
        return fill(book.duration_units["seconds"], {"n": round(seconds)})
    return fill(book.duration_units["minutes"], {"n": round(seconds / 60)})


def compose_description(brief: Brief) -> str:
    book = phrasebook(brief.language)
    bank = book.kinds[_kind(brief)]
    sentences = [fill(bank.context, {"topic": _quote(book, brief.topic)})]
    if brief.duration_s > 0:
        duration = _duration_text(book, brief.duration_s)
        sentences.append(fill(book.duration_sentence, {"duration": duration}))
    if brief.style:
        sentences.append(fill(book.tone_sentence, {"tone": book.tone_names[brief.style]}))
    if brief.keywords:
        keywords = ", ".join(_quote(book, k) for k in brief.keywords)
        sentences.append(fill(book.keywords_sentence, {"keywords": keywords}))
    if brief.inspirations:
        count = len(brief.inspirations)
        sentences.append(fill(book.inspirations_sentence, {"count": count}))
    return " ".join(sentences)
