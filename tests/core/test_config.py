from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_settings
from core.errors import ConfigError


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_database_url.endswith("/var/cxc.db")
    assert settings.chroma_url is None
    assert settings.embeddings == "local"
    assert settings.chroma_dir == Path("var/chroma")


def test_env_prefix_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CXC_PORT=9123\nCXC_DATA_DIR=/srv/cx\n")
    monkeypatch.setenv("CXC_CHROMA_URL", "http://127.0.0.1:8001")
    settings = load_settings()
    assert settings.port == 9123
    assert settings.data_dir == Path("/srv/cx")
    assert settings.chroma_url == "http://127.0.0.1:8001"


def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXC_PORT", "eighty")
    with pytest.raises(ConfigError, match="CXC_PORT"):
        load_settings()


def test_out_of_range_threshold_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXC_ANSWER_THRESHOLD", "1.7")
    with pytest.raises(ConfigError, match="CXC_ANSWER_THRESHOLD"):
        load_settings()


def test_production_refuses_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXC_ENV", "production")
    monkeypatch.setenv("CXC_TELEGRAM_TOKEN", "changeme")
    with pytest.raises(ConfigError, match="CXC_TELEGRAM_TOKEN"):
        load_settings()


def test_development_accepts_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXC_TELEGRAM_TOKEN", "changeme")
    assert load_settings().telegram_token is not None


STRONG = "7f3a9c2e51b84d06a1e9f4c3b2d8e6a0"
PRODUCTION = {"CXC_ENV": "production", "CXC_PULSE_LINK_SECRET": STRONG}


def _production(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in {**PRODUCTION, **env}.items():
        monkeypatch.setenv(name, value)


def test_production_starts_with_strong_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(
        monkeypatch,
        CXC_TELEGRAM_TOKEN="123456789:AAHk3v9Qp2Lm7Rt5WzXy8Bn4Cd6Ef1Gh0Ij",
        CXC_TELEGRAM_WEBHOOK_SECRET=STRONG[::-1],
        CXC_DATABASE_URL=f"postgresql+asyncpg://cxc:{STRONG}@db/cxc",
    )
    assert load_settings(_env_file=None).env == "production"


@pytest.mark.parametrize("weak", ["password", "12345678", "qwertyuiopasdfgh", "changeme"])
@pytest.mark.parametrize("name", ["CXC_METRICS_TOKEN", "CXC_WEBCHAT_SECRET", "CXC_SMTP_PASSWORD"])
def test_production_refuses_a_common_secret(
    monkeypatch: pytest.MonkeyPatch, name: str, weak: str
) -> None:
    _production(monkeypatch, **{name: weak})
    with pytest.raises(ConfigError, match=name) as refused:
        load_settings(_env_file=None)
    assert weak not in str(refused.value).replace(name, "")  # never echoes the secret


def test_production_refuses_a_short_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, CXC_PULSE_LINK_SECRET="Xk3v9Qp2Lm7R")  # random, but 12 characters
    with pytest.raises(ConfigError, match="CXC_PULSE_LINK_SECRET is shorter than 16"):
        load_settings(_env_file=None)


def test_production_refuses_unset_secrets_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXC_ENV", "production")
    monkeypatch.setenv("CXC_TELEGRAM_TOKEN", "123456789:AAHk3v9Qp2Lm7Rt5WzXy8Bn4Cd6Ef1Gh0Ij")
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None)
    assert "CXC_PULSE_LINK_SECRET is not set" in str(refused.value)
    assert "CXC_TELEGRAM_WEBHOOK_SECRET is not set" in str(refused.value)


def test_production_refuses_a_weak_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, CXC_DATABASE_URL="postgresql+asyncpg://cxc:cxc@db:5432/cxc")
    with pytest.raises(ConfigError, match="CXC_DATABASE_URL holds a weak database password"):
        load_settings(_env_file=None)


def test_development_accepts_weak_and_unset_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXC_METRICS_TOKEN", "password")
    assert load_settings(_env_file=None).pulse_link_secret is None


@pytest.mark.parametrize(
    "name",
    ["CXC_RATE_LIMIT_API", "CXC_RATE_LIMIT_CHAT", "CXC_RATE_LIMIT_WEBCHAT", "CXC_RATE_LIMIT_ASK"],
)
def test_a_malformed_rate_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "lots per minute")
    with pytest.raises(ConfigError, match=name):
        load_settings(_env_file=None)
    monkeypatch.setenv(name, "")  # empty: no limit
    assert getattr(load_settings(_env_file=None), name.removeprefix("CXC_").lower()) is None
