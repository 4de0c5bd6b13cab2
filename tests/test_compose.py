"""docker-compose.yml cannot be run here (no Docker engine), so it is read and checked against
the real command line and Settings. The services themselves (PostgreSQL, Redis, `chroma run`)
are started without Docker by other tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.config import ENV_PREFIX, Settings

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


@pytest.mark.parametrize("name", [n for n in APP_SERVICES if SERVICES[n]["command"][0] == "cxc"])
def test_cxc_commands_exist(name: str) -> None:
    args = SERVICES[name]["command"][1:]
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


def test_chroma_service_runs_the_packaged_server() -> None:
    command = SERVICES["chroma"]["command"]
    assert command[:2] == ["chroma", "run"]
    assert (Path(sys.executable).parent / "chroma").exists()
    api_env = SERVICES["api"]["environment"]
    assert api_env["CXC_CHROMA_URL"].endswith(":" + command[command.index("--port") + 1])
