"""docker-compose.yml cannot be run here (no Docker engine), so its structure is checked instead."""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from runtime.servicetoken import ServiceTokenSettings
from studio.stack import DEPLOYABLES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# What the operator must set (`${NAME:?why}`); everything else has a default in the file.
OPERATOR = {
    "AUTH_JWT_KEYS": '{"k1": "' + "k" * 40 + '"}',
    "SERVICE_TOKENS": "s" * 40,
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolated(value: object) -> str:
    """The value as Compose hands it to the container, with the operator's OPERATOR values."""

    def substitute(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if kind == "?":
            assert name in OPERATOR, f"{name} is required of the operator: {rest}"
            return OPERATOR[name]
        assert kind == "-", f"${{{name}}} has no default"
        return rest

    return _VARIABLE.sub(substitute, str(value))


def settings_class(factory: str) -> type[BaseSettings]:
    package = factory.partition(":")[0].rsplit(".", 1)[0]
    module = importlib.import_module(f"{package}.settings")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"{package}.settings must hold exactly one settings class"
    return classes[0]


# The gateway's other process types (gateway/worker.py): same image and settings as its web
# process, another command.
CELERY_APP = "gateway.worker:celery_app"
GATEWAY_PROCESSES = ("worker", "beat")
# What a worker (and beat, which builds the same Celery app) must be given to do its work in a
# container: the databases, every service, the service token, storage, and the gateway's auth
# settings (it builds the gateway's settings, which refuse to load without them).
WORKER_REQUIRES = {
    "MONGODB_URL", "REDIS_URL", "SERVICE_TOKENS", "STORAGE_BACKEND", "MEDIA_ROOT",
    "PUBLIC_BASE_URL", "AUTH_REQUIRED", "AUTH_JWT_KEYS",
    *(f"{name.upper()}_SERVICE_URL" for name, _, _ in DEPLOYABLES if name != "gateway"),
}  # fmt: skip


def test_every_deployable_mongo_7_redis_7_worker_and_beat_are_present() -> None:
    services = COMPOSE["services"]
    deployables = {name for name, _, _ in DEPLOYABLES}
    assert set(services) == {"mongo", "redis", *deployables, *GATEWAY_PROCESSES}
    assert services["mongo"]["image"] == "mongo:7"
    assert "healthcheck" in services["mongo"]
    assert set(COMPOSE["volumes"]) == {"mongo_data", "redis_data", "media"}


def test_redis_7_persists_its_queue_and_has_a_healthcheck() -> None:
    redis = COMPOSE["services"]["redis"]
    assert redis["image"] == "redis:7"
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redis_data:/data" in redis["volumes"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


@pytest.mark.parametrize(("name", "factory", "offset"), DEPLOYABLES)
def test_service_build_port_environment_and_health(name: str, factory: str, offset: int) -> None:
    service = COMPOSE["services"][name]
    args = service["build"]["args"]
    assert args["APP"] == factory
    assert int(args["PORT"]) == 8000 + offset
    assert (ROOT / service["build"]["dockerfile"]).is_file()
    assert f":{8000 + offset}/health" in " ".join(service["healthcheck"]["test"])
    assert "media:/media" in service["volumes"]
    fields = set(settings_class(factory).model_fields)
    for variable in service["environment"]:
        assert variable.lower() in fields, f"{name}: {variable} is not a setting"


def test_gateway_waits_for_healthy_dependencies_and_reaches_them_by_name() -> None:
    gateway = COMPOSE["services"]["gateway"]
    assert gateway["ports"] == ["8000:8000"]
    conditions = {dep: cond["condition"] for dep, cond in gateway["depends_on"].items()}
    assert conditions == {
        dep: "service_healthy" for dep in ("mongo", "redis", "script", "audio", "image", "video")
    }
    env = gateway["environment"]
    assert env["MONGODB_URL"] == "mongodb://mongo:27017"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    for name, _, offset in DEPLOYABLES:
        if name != "gateway":
            assert env[f"{name.upper()}_SERVICE_URL"] == f"http://{name}:{8000 + offset}"


@pytest.mark.parametrize(("name", "factory", "offset"), DEPLOYABLES)
def test_each_deployable_starts_from_its_compose_environment(
    name: str, factory: str, offset: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cls = settings_class(factory)
    # Only the file's environment counts, not whatever the test run itself was given.
    for variable in os.environ:
        if variable.lower() in cls.model_fields:
            monkeypatch.delenv(variable)
    for variable, value in COMPOSE["services"][name]["environment"].items():
        monkeypatch.setenv(variable, interpolated(value))
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    settings = cls()
    # The one service token reaches every deployable: the gateway sends it, the services ask it.
    assert isinstance(settings, ServiceTokenSettings)
    assert settings.service_token_values() == [OPERATOR["SERVICE_TOKENS"]]
    module, _, attr = factory.partition(":")
    # Building the app is where the gateway refuses a setup without keys or service token.
    getattr(importlib.import_module(module), attr)(settings)


@pytest.mark.parametrize("process", GATEWAY_PROCESSES)
def test_worker_and_beat_run_the_gateways_image_with_its_settings(process: str) -> None:
    services = COMPOSE["services"]
    service, gateway = services[process], services["gateway"]
    assert service["build"] == gateway["build"], "the gateway's own image"
    command = [interpolated(part) for part in service["command"]]
    assert command[:4] == ["celery", "-A", CELERY_APP, process]
    env = service["environment"]
    # Everything the web process is given, the same (one set of settings, three processes).
    assert {k: v for k, v in env.items() if k in gateway["environment"]} == gateway["environment"]
    missing = WORKER_REQUIRES - set(env)
    assert not missing, f"{process} lacks {sorted(missing)}"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert "media:/media" in service["volumes"]
    conditions = {dep: cond["condition"] for dep, cond in service["depends_on"].items()}
    assert conditions == {"mongo": "service_healthy", "redis": "service_healthy"}
    assert "ports" not in service
    if process == "worker":
        assert command[command.index("--pool") + 1] == "prefork"
        concurrency = command[command.index("--concurrency") + 1]
        assert concurrency == interpolated(env["WORKER_CONCURRENCY"])
        assert int(concurrency) >= 1
        assert "inspect ping" in " ".join(service["healthcheck"]["test"])
    else:
        assert command[command.index("--schedule") + 1].startswith("/tmp/")
        assert service.get("deploy", {}).get("replicas", 1) == 1, "one beat, or sweeps double"


@pytest.mark.parametrize("process", GATEWAY_PROCESSES)
def test_worker_and_beat_start_from_their_compose_environment(
    process: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gateway.app import build_app
    from gateway.jobs.queue import build_celery, queue_names
    from gateway.settings import GatewaySettings

    for variable in os.environ:
        if variable.lower() in GatewaySettings.model_fields:
            monkeypatch.delenv(variable)
    for variable, value in COMPOSE["services"][process]["environment"].items():
        assert variable.lower() in GatewaySettings.model_fields, f"{variable} is not a setting"
        monkeypatch.setenv(variable, interpolated(value))
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    settings = GatewaySettings()
    assert settings.service_token_values() == [OPERATOR["SERVICE_TOKENS"]]
    build_app(settings)  # the gateway's own checks: keys, service token
    app = build_celery(settings)
    assert app.conf.broker_url == "redis://redis:6379/0"
    assert queue_names(settings) == ("studio.jobs", "studio.images")
