"""docker-compose.yml cannot be run here (no Docker engine), so it is read and checked against
the real command line and Settings. The services themselves (PostgreSQL, Redis, `chroma run`)
are started without Docker by other tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from secrets import token_hex

import pytest
import yaml

from core.config import ENV_PREFIX, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, svc in SERVICES.items() if svc.get("build")]


def test_dependencies_name_defined_services() -> None:
    for name, svc in SERVICES.items():
        for dep in svc.get("depends_on", {}):
            assert dep in SERVICES, f"{name} depends on undefined service {dep}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_uses_real_settings(name: str) -> None:
    fields = set(Settings.model_fields)
    for key in SERVICES[name].get("environment", {}):
        if key.startswith(ENV_PREFIX):
            assert key[len(ENV_PREFIX) :].lower() in fields, f"{name}: unknown setting {key}"


def _cxc_help(name: str, args: list[str]) -> None:
    """``cxc <args>`` names a real command and only options it has."""
    words = [a for a in args if not a.startswith("-")]
    sub = words[:2] if words[:1] == ["db"] else words[:1]
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *sub, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    for flag in (a.split("=")[0] for a in args if a.startswith("--")):
        assert flag in result.stdout, f"{name}: `cxc {' '.join(sub)}` has no option {flag}"


@pytest.mark.parametrize("name", [n for n in APP_SERVICES if SERVICES[n]["command"][0] == "cxc"])
def test_cxc_commands_exist(name: str) -> None:
    _cxc_help(name, SERVICES[name]["command"][1:])


LONG_RUNNING = [n for n, svc in SERVICES.items() if svc.get("restart", "unless-stopped") != "no"]
HEALTH_COMMANDS = [
    n
    for n in LONG_RUNNING
    if SERVICES[n].get("healthcheck", {}).get("test", [None, None])[1] == "cxc"
]


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_health_check(name: str) -> None:
    test = SERVICES[name].get("healthcheck", {}).get("test")
    assert test and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: no health check"


@pytest.mark.parametrize("name", HEALTH_COMMANDS)
def test_cxc_health_checks_run_real_commands(name: str, tmp_path: Path) -> None:
    """The command exists with these options, and run for real it answers as a check does: 0
    or 1 (here 1: no such process beat on this machine), never a usage error (2)."""
    args = SERVICES[name]["healthcheck"]["test"][2:]
    _cxc_help(name, args)
    env = {**os.environ, "CXC_DATA_DIR": str(tmp_path), "CXC_ENV": "test"}
    env.pop("CXC_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stdout.strip().splitlines()) == 1


def test_the_bot_and_the_worker_check_their_own_heartbeat() -> None:
    for name in ("bot", "worker"):
        test = SERVICES[name]["healthcheck"]["test"]
        assert test[1:5] == ["cxc", "health", "--process", name], name
    assert set(HEALTH_COMMANDS) == {"bot", "worker"}


def test_chroma_service_runs_the_packaged_server() -> None:
    command = SERVICES["chroma"]["command"]
    assert command[:2] == ["chroma", "run"]
    assert (Path(sys.executable).parent / "chroma").exists()
    api_env = SERVICES["api"]["environment"]
    assert api_env["CXC_CHROMA_URL"].endswith(":" + command[command.index("--port") + 1])


ENV_EXAMPLE = ROOT / ".env.example"
RAW = (ROOT / "docker-compose.yml").read_text()


def _example(*, optional: bool = True) -> dict[str, str]:
    """The variables .env.example names, with the commented-out optional ones or without."""
    names = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.startswith("#") and not optional:
            continue
        line = line.lstrip("# ").strip()
        if "=" in line and line.split("=", 1)[0].isupper():
            name, value = line.split("=", 1)
            names[name] = value
    return names


def test_the_production_services_are_all_there() -> None:
    assert {"postgres", "redis", "chroma", "migrate", "ingest", "api", "bot", "worker"} <= set(
        SERVICES
    )
    for one_off in ("migrate", "ingest"):
        assert SERVICES[one_off]["restart"] == "no", one_off
    assert SERVICES["ingest"]["profiles"] == ["ingest"]  # run on demand, not on `up`
    assert SERVICES["ingest"]["command"][:2] == ["cxc", "ingest"]
    for name in ("postgres", "redis", "chroma", "api", "bot", "worker"):
        assert SERVICES[name]["healthcheck"]["test"], f"{name} has no health check"
    assert "/health" in " ".join(SERVICES["api"]["healthcheck"]["test"])
    for name, svc in SERVICES.items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith(("$", ".", "/")):
                assert source in COMPOSE["volumes"], f"{name}: undeclared volume {source}"


def test_the_api_runs_several_workers() -> None:
    command = SERVICES["api"]["command"]
    workers = command[command.index("--workers") + 1]
    default = workers.removeprefix("${API_WORKERS:-").removesuffix("}")
    assert int(default) > 1
    assert int(_example()["API_WORKERS"]) > 1


def test_the_database_password_has_no_default() -> None:
    uses = re.findall(r"\$\{POSTGRES_PASSWORD([^}]*)\}", RAW)
    assert uses and all(use.startswith(":?") for use in uses), uses  # refused when unset
    assert "cxc:cxc@" not in RAW
    assert _example()["POSTGRES_PASSWORD"] == ""


def test_env_example_names_real_settings_and_every_compose_variable() -> None:
    example = _example()
    fields = set(Settings.model_fields)
    for name in example:
        if name.startswith(ENV_PREFIX):
            assert name[len(ENV_PREFIX) :].lower() in fields, f".env.example: unknown {name}"
    for variable in set(re.findall(r"\$\{([A-Z_]+)", RAW)):
        assert variable in example, f"docker-compose.yml uses {variable}: not in .env.example"


def test_env_example_filled_in_starts_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every secret .env.example asks for, filled with a random value, is what production needs:
    nothing is missing and nothing more is required."""
    example = _example(optional=False)
    for name, value in example.items():
        monkeypatch.setenv(name, value or f"{name.lower()}-{token_hex(16)}")
    monkeypatch.setenv("CXC_TELEGRAM_TOKEN", f"123456789:AA{token_hex(17)}")
    for name, value in SERVICES["api"]["environment"].items():
        monkeypatch.setenv(name, re.sub(r"\$\{POSTGRES_PASSWORD[^}]*\}", token_hex(16), value))
    assert load_settings(_env_file=None).env == "production"
