"""Opening the connector a setting or a command names, with its HTTP client closed after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from core.config import Settings
from core.errors import ConfigError
from core.ports import CrmConnector
from crm_adapters.amocrm import AmoCrmConnector
from crm_adapters.bitrix24 import Bitrix24Connector
from crm_adapters.files import FileConnector
from crm_adapters.http import CrmHttp
from crm_adapters.hubspot import HubSpotConnector

ADAPTERS = ("files", "hubspot", "amocrm", "bitrix24")


@asynccontextmanager
async def open_connector(
    settings: Settings, adapter: str, path: Path | None = None
) -> AsyncIterator[CrmConnector]:
    """``adapter``'s connector from the settings (``path``: the files connector's folder,
    default ``CXC_CRM_FILES_PATH``). Raises ConfigError naming a missing setting."""
    if adapter == "files":
        folder = path or settings.crm_files_path
        if folder is None:
            raise ConfigError("the files connector needs a folder: PATH or CXC_CRM_FILES_PATH")
        yield FileConnector(folder, region=settings.default_region)
        return
    http = _webhook(settings) if adapter == "bitrix24" else _http(settings, adapter)
    try:
        yield _connector(adapter, http)
    finally:
        await http.aclose()


def _connector(adapter: str, http: CrmHttp) -> CrmConnector:
    if adapter == "hubspot":
        return HubSpotConnector(http)
    return AmoCrmConnector(http) if adapter == "amocrm" else Bitrix24Connector(http)


def _webhook(settings: Settings) -> CrmHttp:
    url = settings.bitrix24_url
    if url is None or not url.get_secret_value().strip():
        raise ConfigError("CXC_BITRIX24_URL is not set")
    return CrmHttp(
        name="Bitrix24",
        base_url=url.get_secret_value(),
        token=None,
        token_setting="CXC_BITRIX24_URL",
        timeout_s=settings.crm_timeout_s,
        attempts=settings.crm_attempts,
    )


def _http(settings: Settings, adapter: str) -> CrmHttp:
    url: str | None
    if adapter == "hubspot":
        name, token, url, var = "HubSpot", settings.hubspot_token, settings.hubspot_url, "HUBSPOT"
    elif adapter == "amocrm":
        name, token, url, var = "amoCRM", settings.amocrm_token, settings.amocrm_url, "AMOCRM"
    else:
        raise ConfigError(f"unknown CRM adapter {adapter!r}; use {', '.join(ADAPTERS)}")
    if token is None or not token.get_secret_value().strip():
        raise ConfigError(f"CXC_{var}_TOKEN is not set")
    if not url:
        raise ConfigError(f"CXC_{var}_URL is not set")
    return CrmHttp(
        name=name,
        base_url=url,
        token=token.get_secret_value(),
        token_setting=f"CXC_{var}_TOKEN",
        timeout_s=settings.crm_timeout_s,
        attempts=settings.crm_attempts,
    )
