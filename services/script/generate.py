"""The two things the service does, from a parsed request to a measured response."""

from __future__ import annotations

from contracts.script import (
    DescriptionRequest,
    DescriptionResponse,
    ScriptRequest,
    ScriptResponse,
    ScriptSection,
)
from services.script.brief import make_brief
from services.script.pacing import count_words, seconds_for
from services.script.writer import ScriptWriter


def _clean(text: str) -> str:
    # One paragraph per scene: the audio and subtitle services split on blank lines.
    return " ".join(text.split())


async def generate_script(writer: ScriptWriter, request: ScriptRequest) -> ScriptResponse:
    brief = make_brief(request)
    draft = await writer.write_script(brief)
    sections = []
    for index, scene in enumerate(draft.scenes):
        narration = _clean(scene.narration)
        words = count_words(narration)
        sections.append(
            ScriptSection(
                index=index,
                narration=narration,
                image_prompt=_clean(scene.image_prompt),
                word_count=words,
                duration_s=seconds_for(brief.language, words),
            )
        )
    total = sum(s.word_count for s in sections)
    return ScriptResponse(
        title=_clean(draft.title),
        script_text="\n\n".join(s.narration for s in sections),
        sections=sections,
        keywords=", ".join(_clean(k) for k in draft.keywords if k.strip()),
        video_description=draft.video_description.strip(),
        language=brief.language,
        type_video=brief.type_video,
        word_count=total,
        target_words=brief.target_words,
        duration_s=brief.seconds,
        estimated_duration_s=seconds_for(brief.language, total),
        provider=writer.provider,
        model=writer.model,
    )


async def generate_description(
    writer: ScriptWriter, request: DescriptionRequest
) -> DescriptionResponse:
    brief = make_brief(request)
    text = await writer.write_description(brief)
    return DescriptionResponse(
        contextual_description=" ".join(text.split()),
        language=brief.language,
        provider=writer.provider,
        model=writer.model,
    )
