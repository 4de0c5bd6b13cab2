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
