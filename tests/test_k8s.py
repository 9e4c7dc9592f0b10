"""deploy/k8s renders, is valid Kubernetes, and means what it says.

No cluster runs here, so every overlay is rendered with `kubectl kustomize`, each object is
validated against the Kubernetes API schemas (kubernetes_validate, offline), and what the
manifests promise is checked: who the network policies admit, hardened containers, and that
every deployable gets the settings it needs to start.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import ValidationError

from runtime.servicetoken import ServiceTokenSettings
from studio.stack import DEPLOYABLES
from tests.test_compose import CELERY_APP, GATEWAY_PROCESSES, WORKER_REQUIRES, settings_class

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
# The oldest Kubernetes the kubectl here speaks, and the newest the schemas know.
VERSIONS = ("1.32.0", "1.37.0")
SECRET = "studio-secrets"
# Stand-ins for the values of the Secret production keeps outside Git.
PROD_SECRET = {
    "SERVICE_TOKENS": "p" * 40,
    "AUTH_JWT_KEYS": '{"k1": "' + "j" * 40 + '"}',
    "MONGODB_URL": "mongodb://mongo.example.com:27017",
    "REDIS_URL": "rediss://:password@redis.example.com:6380/0",
}
KEDA = "optional/keda/dev"  # overlays/dev with the optional KEDA component
RENDER_MEMORY_MI = 400  # README benchmarks: one 1080p render peaks near 400 MB
NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
Obj = dict[str, Any]


@cache
def render(directory: str) -> tuple[Obj, ...]:
    kubectl = shutil.which("kubectl") or "/usr/bin/kubectl"
    done = subprocess.run(
        [kubectl, "kustomize", str(K8S / directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def objects(overlay: str, kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in render(overlay) if o["kind"] == kind}


def workloads(overlay: str) -> list[Obj]:
    return [o for o in render(overlay) if o["kind"] in ("Deployment", "StatefulSet")]


def container(overlay: str, name: str) -> Obj:
    containers: list[Obj] = objects(overlay, "Deployment")[name]["spec"]["template"]["spec"][
        "containers"
    ]
    assert len(containers) == 1
    return containers[0]


def mebibytes(quantity: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity)
    assert match is not None, f"{quantity}: write memory in Mi or Gi"
    return float(match[1]) * (1024 if match[2] == "Gi" else 1)


# --- NetworkPolicy semantics (ingress only: the policies here are all ingress) ---------------


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, operator = labels.get(expression["key"]), expression["operator"]
        inside = value in expression.get("values", [])
        if (operator, inside) in (("In", False), ("NotIn", True)) or (
            operator == "Exists" and value is None
        ):
            return False
    return True


def admitted(
    overlay: str, target: dict[str, str], source: dict[str, str] | None, port: int
) -> bool:
    """Whether a pod labelled `source` in the namespace (None: anything outside it) may open
    `port` on a pod labelled `target`, as a network plugin enforcing the policies decides."""
    policies = [
        p["spec"]
        for p in objects(overlay, "NetworkPolicy").values()
        if "Ingress" in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], target)
    ]
    if not policies:
        return True  # no policy isolates the pod
    for policy in policies:
        for rule in policy.get("ingress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            peers = rule.get("from")
            if peers is None:
                return True
            for peer in peers:
                same_namespace = set(peer) == {"podSelector"}
                if same_namespace and source is not None and selects(peer["podSelector"], source):
                    return True
    return False


GATEWAY_WEB = {NAME: "gateway", COMPONENT: "web"}
GATEWAY_WORKER = {NAME: "gateway", COMPONENT: "worker"}
GATEWAY_BEAT = {NAME: "gateway", COMPONENT: "beat"}


def pod_labels(name: str) -> dict[str, str]:
    return {NAME: name, COMPONENT: "service"}


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", VERSIONS)
def test_every_rendered_object_is_valid_kubernetes(overlay: str, version: str) -> None:
    kinds = set()
    for obj in render(f"overlays/{overlay}"):
        kubernetes_validate.validate(obj, version, strict=True)
        kinds.add(obj["kind"])
    assert {"Namespace", "Deployment", "Service", "ConfigMap", "NetworkPolicy"} <= kinds
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds


@pytest.mark.parametrize("version", VERSIONS)
def test_the_optional_keda_overlay_is_valid_besides_its_scaled_object(version: str) -> None:
    # KEDA's ScaledObject is not in the Kubernetes schemas: its fields are checked below.
    others = [o for o in render(KEDA) if o["kind"] != "ScaledObject"]
    for obj in others:
        kubernetes_validate.validate(obj, version, strict=True)
    assert len(others) == len(render("overlays/dev")) + 1  # its NetworkPolicy


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_services_admit_only_the_gateways_web_and_worker_pods(overlay: str) -> None:
    o = f"overlays/{overlay}"
    deny = objects(o, "NetworkPolicy")["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {}
    assert "ingress" not in deny
    for name, _, offset in DEPLOYABLES:
        if name == "gateway":
            continue
        target, port = pod_labels(name), 8000 + offset
        assert admitted(o, target, GATEWAY_WEB, port)
        assert admitted(o, target, GATEWAY_WORKER, port)
        assert not admitted(o, target, GATEWAY_BEAT, port), f"beat -> {name}: it calls none"
        assert not admitted(o, target, GATEWAY_WEB, 8000), f"{name}: only its own port"
        assert not admitted(o, target, None, port), f"{name}: open beyond the namespace"
        for other in ("script", "audio", "image", "video"):
            assert not admitted(o, target, pod_labels(other), port), f"{other} -> {name}"
        assert not admitted(o, target, {NAME: "gateway", COMPONENT: "test"}, port)
        assert not admitted(o, target, {}, port)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_databases_admit_only_the_gateway_and_the_gateway_admits_anyone(overlay: str) -> None:
    o = f"overlays/{overlay}"
    for name, port in (("mongo", 27017), ("redis", 6379)):
        target = {NAME: name, COMPONENT: "database"}
        assert admitted(o, target, GATEWAY_WEB, port)
        assert admitted(o, target, GATEWAY_WORKER, port)
        assert admitted(o, target, GATEWAY_BEAT, port)
        assert not admitted(o, target, pod_labels("video"), port)
        assert not admitted(o, target, None, port)
    for source in (None, {}, pod_labels("video")):
        assert admitted(o, GATEWAY_WEB, source, 8000)
        assert not admitted(o, GATEWAY_WEB, source, 8001)
    # The worker and beat serve no one.
    for target in (GATEWAY_WORKER, GATEWAY_BEAT):
        for source in (None, GATEWAY_WEB, GATEWAY_WORKER, GATEWAY_BEAT):
            assert not admitted(o, target, source, 8000)


def test_dev_runs_mongo_7_and_redis_7_where_their_policies_apply() -> None:
    sets = objects("overlays/dev", "StatefulSet")
    services = objects("overlays/dev", "Service")
    for name, image, port in (("mongo", "mongo:7", 27017), ("redis", "redis:7", 6379)):
        spec = sets[name]["spec"]
        assert spec["replicas"] == 1
        assert spec["template"]["spec"]["containers"][0]["image"] == image
        assert spec["template"]["metadata"]["labels"] == {NAME: name, COMPONENT: "database"}
        assert services[name]["spec"]["ports"][0]["port"] == port
    assert not objects("overlays/prod", "StatefulSet"), "production databases are external"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_non_root_read_only_unprivileged_and_bounded(overlay: str) -> None:
    for workload in workloads(f"overlays/{overlay}"):
        pod = workload["spec"]["template"]["spec"]
        name = workload["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["automountServiceAccountToken"] is False, name
        empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for c in pod["containers"] + pod.get("initContainers", []):
            security = c["securityContext"]
            assert security["runAsNonRoot"] is True, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
            assert mounts.get("/tmp") in empty_dirs, f"{name}: /tmp must be writable"
            for kind in ("requests", "limits"):
                assert set(c["resources"][kind]) == {"cpu", "memory"}, f"{name} {kind}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_video_service_has_memory_for_its_concurrent_renders(overlay: str) -> None:
    video = container(f"overlays/{overlay}", "video")
    env = {e["name"]: e.get("value") for e in video["env"]}
    renders = int(env["VIDEO_MAX_CONCURRENT_RENDERS"])
    limit = mebibytes(video["resources"]["limits"]["memory"])
    # The process itself holds about 100 MB besides the renders.
    assert limit >= renders * RENDER_MEMORY_MI + 256


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize(("name", "factory", "offset"), DEPLOYABLES)
def test_each_deployable_runs_its_app_on_its_port_with_probes(
    overlay: str, name: str, factory: str, offset: int
) -> None:
    o = f"overlays/{overlay}"
    c = container(o, name)
    port = 8000 + offset
    assert c["image"].rpartition(":")[0].endswith("ai-video-studio")
    assert c["command"] == ["uvicorn"]
    assert c["args"][:2] == ["--factory", factory]
    assert c["args"][c["args"].index("--port") + 1] == str(port)
    assert c["ports"] == [{"name": "http", "containerPort": port}]
    live, ready = c["livenessProbe"]["httpGet"], c["readinessProbe"]["httpGet"]
    if name == "gateway":
        assert (live["path"], ready["path"]) == ("/health/live", "/health/ready")
    else:
        assert live["path"] == ready["path"] == "/health"
    assert live["port"] == ready["port"] == "http"
    service = objects(o, "Service")[name]["spec"]
    labels = objects(o, "Deployment")[name]["spec"]["template"]["metadata"]["labels"]
    assert selects({"matchLabels": service["selector"]}, labels)
    assert service["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]


def environment(overlay: str, name: str) -> dict[str, str]:
    """The container's environment as the kubelet would build it from the rendered objects."""
    o = f"overlays/{overlay}"
    c = container(o, name)
    maps = objects(o, "ConfigMap")
    secrets = objects(o, "Secret")
    secret = secrets[SECRET]["stringData"] if secrets else PROD_SECRET
    env: dict[str, str] = {}
    for source in c.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]]["data"])
    for entry in c["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        assert ref["name"] == SECRET
        if ref["key"] in secret:
            env[entry["name"]] = secret[ref["key"]]
        else:
            assert ref.get("optional") is True, f"{name}: {ref['key']} is not in the Secret"
    return env


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize(("name", "factory", "offset"), DEPLOYABLES)
def test_each_deployable_starts_from_its_environment(
    overlay: str,
    name: str,
    factory: str,
    offset: int,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    env = environment(overlay, name)
    cls = settings_class(factory)
    for variable in env:
        assert variable == "HOME" or variable.lower() in cls.model_fields, (
            f"{name}: {variable} is not a setting"
        )
    for variable in os.environ:
        if variable.lower() in cls.model_fields:
            monkeypatch.delenv(variable)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    settings = cls()
    assert isinstance(settings, ServiceTokenSettings)
    assert settings.service_token_values(), f"{name} runs without the service token"
    module, _, attr = factory.partition(":")
    # Building the app is where the gateway refuses a setup without keys or service token.
    getattr(importlib.import_module(module), attr)(settings)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_reaches_every_service_and_mongodb_by_name(overlay: str) -> None:
    env = environment(overlay, "gateway")
    assert env["AUTH_REQUIRED"] == "true"
    services = objects(f"overlays/{overlay}", "Service")
    for name, _, offset in DEPLOYABLES:
        if name != "gateway":
            assert env[f"{name.upper()}_SERVICE_URL"] == f"http://{name}:{8000 + offset}"
            assert services[name]["spec"]["ports"][0]["port"] == 8000 + offset
    names = [name for name, _, _ in DEPLOYABLES] + list(GATEWAY_PROCESSES)
    tokens = {environment(overlay, name)["SERVICE_TOKENS"] for name in names}
    assert len(tokens) == 1, "every deployable reads the one service token"
    # The web process queues jobs on the Redis its workers consume, and beat's sweeps too.
    gateway_processes = ("gateway", *GATEWAY_PROCESSES)
    assert len({environment(overlay, name)["REDIS_URL"] for name in gateway_processes}) == 1
    assert len({environment(overlay, name)["MONGODB_URL"] for name in gateway_processes}) == 1
    if overlay == "dev":
        assert env["MONGODB_URL"] == "mongodb://mongo:27017"
        assert services["mongo"]["spec"]["ports"][0]["port"] == 27017
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert services["redis"]["spec"]["ports"][0]["port"] == 6379


def test_production_never_renders_the_secret_and_the_placeholders_cannot_run() -> None:
    # Applying prod must not overwrite the Secret kept outside Git with placeholders.
    assert objects("overlays/prod", "Secret") == {}
    placeholders = objects("base", "Secret")[SECRET]["stringData"]
    assert set(placeholders) == set(PROD_SECRET)
    assert all(value.startswith("REPLACE-ME") for value in placeholders.values())
    with pytest.raises(ValidationError, match="at least 32 characters"):
        ServiceTokenSettings(service_tokens=placeholders["SERVICE_TOKENS"])


# --- the gateway's worker and beat ----------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("process", GATEWAY_PROCESSES)
def test_worker_and_beat_run_celery_from_the_gateways_image_and_labels(
    overlay: str, process: str
) -> None:
    o = f"overlays/{overlay}"
    deployment = objects(o, "Deployment")[process]
    assert deployment["spec"]["template"]["metadata"]["labels"] == {
        NAME: "gateway",
        COMPONENT: process,
    }
    c = container(o, process)
    assert c["image"] == container(o, "gateway")["image"]
    assert c["command"] == ["celery"]
    assert c["args"][:3] == ["-A", CELERY_APP, process]
    assert "ports" not in c, f"{process} serves nothing"
    env = environment(overlay, process)
    if process == "worker":
        assert c["args"][c["args"].index("--pool") + 1] == "prefork"
        concurrency = int(c["args"][c["args"].index("--concurrency") + 1])
        assert int(env["WORKER_CONCURRENCY"]) == concurrency
        # worker.yaml: ~110 MB for the main process, ~200 MB per child at work.
        assert mebibytes(c["resources"]["requests"]["memory"]) >= 110 + 200 * concurrency
        assert "inspect ping" in " ".join(c["livenessProbe"]["exec"]["command"])
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 60
    else:
        spec = deployment["spec"]
        assert spec["replicas"] == 1, "two beats would queue every sweep twice"
        assert spec["strategy"] == {"type": "Recreate"}
        schedule = Path(c["args"][c["args"].index("--schedule") + 1])
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
        assert "emptyDir" in volumes[mounts[str(schedule.parent)]], "a writable schedule file"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("process", GATEWAY_PROCESSES)
def test_worker_and_beat_start_from_their_environment(
    overlay: str, process: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gateway.app import build_app
    from gateway.jobs.queue import build_celery
    from gateway.settings import GatewaySettings

    env = environment(overlay, process)
    missing = WORKER_REQUIRES - set(env)
    assert not missing, f"{process} lacks {sorted(missing)}"
    web = environment(overlay, "gateway")
    assert {k: env.get(k) for k in web} == web, "every setting of the web process, the same"
    for variable in env:
        assert variable == "HOME" or variable.lower() in GatewaySettings.model_fields, variable
    for variable in os.environ:
        if variable.lower() in GatewaySettings.model_fields:
            monkeypatch.delenv(variable)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    settings = GatewaySettings()
    assert settings.service_token_values()
    build_app(settings)
    assert build_celery(settings).conf.broker_url == env["REDIS_URL"]


# --- autoscaling and disruption budgets -----------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscalers_scale_the_web_process_and_services_on_cpu(overlay: str) -> None:
    o = f"overlays/{overlay}"
    deployments = objects(o, "Deployment")
    targets = set()
    for name, hpa in objects(o, "HorizontalPodAutoscaler").items():
        spec = hpa["spec"]
        ref = spec["scaleTargetRef"]
        assert (ref["apiVersion"], ref["kind"]) == ("apps/v1", "Deployment")
        assert ref["name"] in deployments, f"{name} scales a Deployment that does not exist"
        targets.add(ref["name"])
        replicas = deployments[ref["name"]]["spec"].get("replicas", 1)
        assert replicas <= spec["minReplicas"] <= spec["maxReplicas"], name
        assert [m["resource"]["name"] for m in spec["metrics"]] == ["cpu"]
        # Utilization is relative to the request: every container must have one.
        pod = deployments[ref["name"]]["spec"]["template"]["spec"]
        assert all("cpu" in c["resources"]["requests"] for c in pod["containers"])
    assert targets == {name for name, _, _ in DEPLOYABLES}, "never beat; the worker: KEDA"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_disruption_budgets_select_the_web_worker_and_service_pods(overlay: str) -> None:
    o = f"overlays/{overlay}"
    pods = {
        name: d["spec"]["template"]["metadata"]["labels"]
        for name, d in objects(o, "Deployment").items()
    }
    covered: list[str] = []
    for name, pdb in objects(o, "PodDisruptionBudget").items():
        selected = [d for d, labels in pods.items() if selects(pdb["spec"]["selector"], labels)]
        assert len(selected) == 1, f"{name} selects {selected}"
        covered += selected
        assert pdb["spec"]["maxUnavailable"] == 1  # a single replica can still be drained
    assert sorted(covered) == sorted(["worker", *(name for name, _, _ in DEPLOYABLES)])


# --- optional: KEDA -------------------------------------------------------------------------


def test_keda_scales_the_worker_on_every_priority_list_of_the_jobs_queue() -> None:
    from gateway.jobs.queue import KOMBU_SEP, PRIORITY_STEPS

    scaled = objects(KEDA, "ScaledObject")["worker"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["metadata"]["namespace"] == "ai-video-studio-dev"
    spec = scaled["spec"]
    ref = spec["scaleTargetRef"]
    deployments = objects(KEDA, "Deployment")
    assert (ref.get("kind", "Deployment"), ref["name"]) == ("Deployment", "worker")
    assert deployments["worker"]["spec"]["template"]["metadata"]["labels"] == GATEWAY_WORKER
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    triggers = spec["triggers"]
    assert {t["type"] for t in triggers} == {"redis"}
    lists = [t["metadata"]["listName"] for t in triggers]
    expected = ["studio.jobs"] + [f"studio.jobs{KOMBU_SEP}{p}" for p in PRIORITY_STEPS[1:]]
    assert lists == expected
    # KEDA runs in its own namespace: the dev Redis Service by its full name.
    redis = objects(KEDA, "Service")["redis"]
    address = f"redis.{redis['metadata']['namespace']}.svc.cluster.local:6379"
    assert {t["metadata"]["address"] for t in triggers} == {address}
    assert all(int(t["metadata"]["listLength"]) >= 1 for t in triggers)
    # No autoscaler of the core manifests fights KEDA's over the worker.
    hpas = objects(KEDA, "HorizontalPodAutoscaler").values()
    assert all(h["spec"]["scaleTargetRef"]["name"] != "worker" for h in hpas)
    # Its operator may read Redis, and nothing else is opened.
    policy = objects(KEDA, "NetworkPolicy")["redis-from-keda"]["spec"]
    assert selects(policy["podSelector"], {NAME: "redis", COMPONENT: "database"})
    assert [p["port"] for rule in policy["ingress"] for p in rule["ports"]] == [6379]
