"""Settings pick the one script writer a process uses."""

from __future__ import annotations

from services.script.openai_writer import OpenAIWriter
from services.script.settings import ScriptSettings
from services.script.template_writer import TemplateWriter
from services.script.writer import ScriptWriter


def build_writer(settings: ScriptSettings) -> ScriptWriter:
    if settings.script_provider == "openai":
        return OpenAIWriter(settings)
    return TemplateWriter()
