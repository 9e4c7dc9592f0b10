"""Settings renamed to carry their unit still answer to the environment names they had before."""

from __future__ import annotations

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from services.audio.settings import AudioSettings
from services.image.settings import ImageSettings
from services.script.settings import ScriptSettings
from services.video.settings import VideoSettings

SETTINGS: list[type[BaseSettings]] = [
    GatewaySettings,
    ScriptSettings,
    AudioSettings,
    ImageSettings,
    VideoSettings,
]


def renamed(cls: type[BaseSettings]) -> list[tuple[str, str]]:
    """(field, old environment name) of every field that keeps a former name."""
    pairs = []
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            new, old = alias.choices
            assert new == name, f"{name}: the field's own name must come first"
            pairs.append((name, str(old)))
    return pairs


RENAMED = [(cls, field, old) for cls in SETTINGS for field, old in renamed(cls)]


def test_the_known_renames_are_covered() -> None:
    names = {(cls.__name__, field, old) for cls, field, old in RENAMED}
    assert ("GatewaySettings", "job_lease_seconds", "job_lease") in names
    assert ("GatewaySettings", "video_timeout_seconds", "video_timeout") in names
    assert ("GatewaySettings", "auth_access_ttl_seconds", "auth_access_ttl") in names
    assert ("GatewaySettings", "mongodb_timeout_seconds", "mongodb_timeout") in names
    assert ("ScriptSettings", "script_openai_backoff_seconds", "script_openai_backoff_s") in names


@pytest.mark.parametrize(
    ("cls", "field", "old"), RENAMED, ids=[f"{c.__name__}.{f}" for c, f, _ in RENAMED]
)
def test_an_old_environment_name_sets_the_new_field(
    cls: type[BaseSettings], field: str, old: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = cls.model_fields[field].default
    value = default * 2
    monkeypatch.setenv(old.upper(), str(value))
    assert getattr(cls(), field) == value
    # The new name wins when a deployment sets both (mid-migration).
    monkeypatch.setenv(field.upper(), str(default * 3))
    assert getattr(cls(), field) == default * 3


@pytest.mark.parametrize(
    ("cls", "field", "old"), RENAMED, ids=[f"{c.__name__}.{f}" for c, f, _ in RENAMED]
)
def test_code_builds_settings_by_the_new_field_name(
    cls: type[BaseSettings], field: str, old: str
) -> None:
    value = cls.model_fields[field].default * 2
    assert getattr(cls(**{field: value}), field) == value


def test_a_bad_value_under_an_old_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOB_LEASE", "0")
    with pytest.raises(ValueError, match="job_lease"):
        GatewaySettings()
