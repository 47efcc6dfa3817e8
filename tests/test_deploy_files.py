"""Static checks of the deployment files: docker-compose.yml, Dockerfile and Procfile.

No service is started: the files are parsed and their content asserted. Each structural
rule is a function returning the list of problems found, so the same rule is also run on
a deliberately broken compose document to show that it can fail.
"""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROCFILE = ROOT / "Procfile"
DOCKERFILE = ROOT / "Dockerfile"

INFRA_SERVICES = ("postgres", "redis")
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
SHARED_ENV = {
    "DATABASE_URL": "postgresql://postgres:postgres@postgres:5432/flowker",
    "BROKER_URL": "redis://redis:6379/0",
    "FLOWKER_API_KEYS": "${FLOWKER_API_KEYS:-change-me}",
}
HEALTHCHECKED = ("postgres", "redis", "web")
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
PROCESS_TYPES = {"web": "gunicorn", "worker": "flowker worker", "scheduler": "flowker scheduler"}


# -- helpers --------------------------------------------------------------------------


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def command_text(service: dict) -> str:
    """A service's command as one string, whether written as a list or a string."""
    command = service.get("command")
    if isinstance(command, list):
        return shlex.join(str(part) for part in command)
    return str(command or "")


def environment(service: dict) -> dict:
    """A service's environment as a dict, whether written as a mapping or a list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: (None if value is None else str(value)) for key, value in env.items()}


def depends_on(service: dict) -> dict:
    """``depends_on`` as ``{service: condition}`` (the short list form means started)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def healthcheck_text(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list):
        return " ".join(str(part) for part in test)
    return str(test or "")


def dependency_problems(doc: dict) -> list[str]:
    """depends_on entries that name a missing service, use an unknown condition, wait for
    health of a service without a healthcheck, or form a cycle."""
    services = doc.get("services") or {}
    problems = []
    for name, service in services.items():
        for dep, condition in depends_on(service).items():
            if dep not in services:
                problems.append(f"{name} depends on missing service {dep}")
                continue
            if condition not in DEPENDS_ON_CONDITIONS:
                problems.append(f"{name}: unknown condition {condition!r} on {dep}")
            if condition == "service_healthy" and not (services[dep].get("healthcheck") or {}).get("test"):
                problems.append(f"{name} waits for {dep} healthy but {dep} has no healthcheck")
    # Cycle check: depth-first search over the dependency graph.
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "visiting"
        for dep in depends_on(services.get(node) or {}):
            if dep not in services:
                continue
            if state.get(dep) == "visiting":
                problems.append("dependency cycle: " + " -> ".join(path + [node, dep]))
            elif dep not in state:
                visit(dep, path + [node])
        state[node] = "done"

    for name in services:
        if name not in state:
            visit(name, [])
    return problems


def app_service_problems(doc: dict) -> list[str]:
    """App services without a build, a command or the shared environment."""
    services = doc.get("services") or {}
    problems = []
    for name in APP_SERVICES:
        service = services.get(name)
        if service is None:
            problems.append(f"missing app service {name}")
            continue
        if service.get("build") in (None, ""):
            problems.append(f"{name} has no build")
        if not command_text(service).strip():
            problems.append(f"{name} has no command")
        env = environment(service)
        for key, value in SHARED_ENV.items():
            if env.get(key) != value:
                problems.append(f"{name}: {key}={env.get(key)!r}, expected {value!r}")
    return problems


def parse_procfile(text: str) -> dict[str, str]:
    """``{process type: command}`` of a Procfile; blank lines and comments skipped."""
    processes = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_-]+):\s*(.+)", line)
        assert match, f"malformed Procfile line: {line!r}"
        assert match.group(1) not in processes, f"process type {match.group(1)} defined twice"
        processes[match.group(1)] = match.group(2).strip()
    return processes


# -- docker-compose.yml ---------------------------------------------------------------


def test_compose_defines_every_expected_service():
    services = load_compose().get("services") or {}
    missing = [name for name in INFRA_SERVICES + APP_SERVICES if name not in services]
    assert not missing, f"docker-compose.yml lacks services {missing}"


def test_infrastructure_images_and_database_name():
    services = load_compose()["services"]
    assert str(services["postgres"]["image"]).startswith("postgres:16")
    assert str(services["redis"]["image"]).startswith("redis:7")
    assert environment(services["postgres"]).get("POSTGRES_DB") == "flowker"
    # The database the apps connect to is the one postgres creates.
    assert SHARED_ENV["DATABASE_URL"].rsplit("/", 1)[1] == environment(services["postgres"])["POSTGRES_DB"]


def test_app_services_have_build_command_and_shared_env():
    assert app_service_problems(load_compose()) == []


@pytest.mark.parametrize(
    "service, prefix",
    [
        ("migrate", "flowker migrate"),
        ("web", "gunicorn"),
        ("worker", "flowker worker"),
        ("scheduler", "flowker scheduler"),
    ],
)
def test_app_service_commands(service, prefix):
    command = command_text(load_compose()["services"][service])
    assert command.startswith(prefix), f"{service} runs {command!r}"


def test_web_command_serves_the_app_factory_on_4021():
    web = load_compose()["services"]["web"]
    command = command_text(web)
    assert "0.0.0.0:4021" in command
    assert "web.app:create_app()" in command
    ports = [str(p) for p in web.get("ports") or []]
    assert any(p.split(":")[-1] == "4021" for p in ports), f"web publishes {ports}"


def test_depends_on_refers_to_existing_services_with_valid_conditions():
    assert dependency_problems(load_compose()) == []


def test_startup_order():
    services = load_compose()["services"]
    assert depends_on(services["migrate"]).get("postgres") == "service_healthy"
    assert depends_on(services["web"]) == {
        "postgres": "service_healthy",
        "redis": "service_healthy",
        "migrate": "service_completed_successfully",
    }
    for name in ("worker", "scheduler"):
        deps = depends_on(services[name])
        assert deps.get("redis") == "service_healthy", name
        assert deps.get("migrate") == "service_completed_successfully", name
    # A one-shot job must not be restarted after it exits.
    assert str(services["migrate"].get("restart", "no")) in ("no", "False", "false")


@pytest.mark.parametrize("service, needle", [("postgres", "pg_isready"), ("redis", "redis-cli ping"), ("web", "http://localhost:4021/health")])
def test_healthchecks(service, needle):
    check = healthcheck_text(load_compose()["services"][service])
    assert needle in check, f"{service} healthcheck is {check!r}"


def test_web_healthcheck_uses_python_urllib():
    check = healthcheck_text(load_compose()["services"]["web"])
    assert "python" in check and "urllib" in check


def test_rules_detect_a_broken_compose_file():
    """The structural rules report problems when the file is wrong."""
    broken = copy.deepcopy(load_compose())
    services = broken["services"]
    services["web"]["depends_on"] = {"postgress": {"condition": "service_healthy"}, "redis": {"condition": "service_ready"}}
    services["worker"]["depends_on"] = {"migrate": {"condition": "service_healthy"}}
    services["migrate"]["depends_on"] = {"scheduler": {"condition": "service_started"}}
    services["scheduler"]["depends_on"] = {"migrate": {"condition": "service_completed_successfully"}}
    del services["scheduler"]["command"]
    services["worker"]["environment"] = {"DATABASE_URL": "sqlite:///x.db"}
    deps = dependency_problems(broken)
    assert any("missing service postgress" in p for p in deps)
    assert any("service_ready" in p for p in deps)
    assert any("no healthcheck" in p for p in deps)
    assert any("cycle" in p for p in deps)
    apps = app_service_problems(broken)
    assert "scheduler has no command" in apps
    assert any(p.startswith("worker: BROKER_URL") for p in apps)


# -- Dockerfile -----------------------------------------------------------------------


def test_dockerfile_installs_the_package_and_runs_as_non_root():
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines() if line.strip() and not line.strip().startswith("#")]
    assert lines[0].split()[:2] == ["FROM", "python:3.11-slim"]
    assert any(line.startswith("RUN") and "pip install ." in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), f"final USER is {users}"


# -- Procfile -------------------------------------------------------------------------


def test_procfile_has_the_three_process_types():
    processes = parse_procfile(PROCFILE.read_text())
    assert set(processes) == set(PROCESS_TYPES), f"Procfile defines {sorted(processes)}"
    for name, prefix in PROCESS_TYPES.items():
        assert processes[name].startswith(prefix), f"{name}: {processes[name]!r}"
    assert "web.app:create_app()" in processes["web"]


def test_procfile_parser_rejects_bad_lines():
    assert parse_procfile("web: gunicorn x\n# note\n\nworker: flowker worker\n") == {
        "web": "gunicorn x",
        "worker": "flowker worker",
    }
    with pytest.raises(AssertionError):
        parse_procfile("web gunicorn x\n")
    with pytest.raises(AssertionError):
        parse_procfile("web: a\nweb: b\n")
