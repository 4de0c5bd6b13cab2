"""The one Settings class. Every value comes from ``CXC_*`` environment variables or ``.env``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError
from core.secret_policy import production_problems

ENV_PREFIX = "CXC_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = None
    database_pool_size: int = Field(default=10, ge=1, le=500)
    """Connections a process keeps open to PostgreSQL, and as many more it may open for a
    burst. Below a process's concurrency (the bot's ``CXC_BOT_CONCURRENCY`` chats, an API
    worker's requests) connections are opened and closed all the time."""
    auto_migrate: bool = True

    # Knowledge: vector store and embeddings
    chroma_url: str | None = None
    chroma_collection: str = "faq"
    embeddings: Literal["local", "openai"] = "local"
    embeddings_base_url: str | None = None
    embeddings_model: str = "text-embedding-3-small"
    embeddings_api_key: SecretStr | None = None
    embedding_threads: int = Field(default=0, ge=0)
    embedding_cache: int = Field(default=2048, ge=0)
    """Query vectors kept per process (local embeddings), so a text asked again (a case's
    suggestions opened again) skips the encoders; 0 keeps none."""
    dense_search: Literal["memory", "chroma"] = "memory"
    """Where a query's nearest phrasings are found: exact search over the vectors the matcher
    loaded from Chroma ("memory", fastest), or a Chroma query per question ("chroma")."""

    # Answer decision; defaults chosen on validation splits (docs/retrieval.md)
    answer_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    """Unset: 0.4 for a KB that trains its own stacker, 0.15 for one too small to, 0.08 for a
    KB with 80 or more phrasings per entry (docs/retrieval.md, "Default thresholds")."""
    offer_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    """Below the answer threshold, the bot offers its top candidates as choices from this top
    score up instead of handing over. Unset: 0.05, or none for a KB with 80 or more phrasings
    per entry or too small to train its own stacker (docs/retrieval.md, "Two-step fallback")."""
    clarify_threshold: float = Field(default=0.1, ge=0.0, le=1.0)
    clarify_margin: float = Field(default=0.1, ge=0.0, le=1.0)
    off_topic_negatives: bool = True
    """Calibrate on the bundled off-topic messages too (knowledge/data/offtopic.txt)."""

    # Optional LLM through any OpenAI-compatible endpoint
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=6.0, gt=0.0)
    """One request's timeout; a failed request is retried ``llm_retries`` times with backoff."""
    llm_retries: int = Field(default=2, ge=0)
    llm_budget_s: float = Field(default=8.0, gt=0.0)
    """How long an answer waits for the model in all; then the extractive answer is sent."""
    llm_stream: bool = False
    """Ask for the reply as a stream (server-sent events) instead of one response."""
    llm_rerank: bool = False
    """Ask the model which of the matcher's top candidates answers the message (never an
    escalation: what the matcher abstains from still goes to a person)."""
    llm_price_in: float | None = Field(default=None, ge=0.0)
    """The model's price per 1,000 prompt tokens, for the cost in the reports (unset: none)."""
    llm_price_out: float | None = Field(default=None, ge=0.0)
    """The model's price per 1,000 completion tokens."""
    llm_price_currency: str = Field(default="USD", min_length=3, max_length=3)

    # Telegram
    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    redis_url: str | None = None
    telegram_per_chat_interval_s: float = Field(default=1.0, ge=0.0)
    telegram_global_rate_per_s: float = Field(default=30.0, gt=0.0)
    delivery_retry_window_s: float = Field(default=3600.0, gt=0.0)
    """A message the channel refuses for a while (429, 5xx, network) is retried with backoff for
    this long after it was queued; then it fails and is listed for a resend."""
    delivery_backoff_max_s: float = Field(default=60.0, gt=0.0)
    update_max_attempts: int = Field(default=3, ge=1)
    bot_concurrency: int = Field(default=8, ge=1, le=64)
    """Queued updates of different chats one webhook worker processes at once."""
    """An inbound update that fails this many times is parked (listed, never retried)."""

    # E-mail (SMTP): replies and pulses to customers known by their address
    smtp_host: str | None = None
    """Unset: nothing is sent by e-mail, and an operator's reply on an e-mail case is refused."""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = "support@localhost"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    """``starttls`` upgrades a plain connection (port 587), ``tls`` connects over TLS (465),
    ``none`` sends in the clear (a relay on the same host)."""
    smtp_timeout_s: float = Field(default=30.0, gt=0.0)
    smtp_subject: str | None = None
    """The subject line of every e-mail; unset: the catalogue's, in the customer's language."""

    # Web chat
    webchat_secret: SecretStr | None = None
    """Signs the web chat's visitor tokens; unset: the web chat (/chat) is off."""

    # Case ownership and contact reasons
    contact_reasons: Path | None = None
    """The contact-reason taxonomy (YAML); unset: the bundled retail default
    (core/policy/contact_reasons.yaml)."""
    reopen_window_days: int = Field(default=7, ge=0)
    handle_time_minutes: float = Field(default=6.0, gt=0.0)
    """Average minutes an operator spends per case; used for the expected-wait estimate."""
    operators_online: int = Field(default=2, ge=1)
    sla_reply_minutes: float = Field(default=15.0, gt=0.0)
    """How long a customer on a case a person owns may wait for the operator's reply; longer
    waits are SLA breaches in the console's alerts."""

    # Operator console
    console_language: Literal["en", "ru"] = "en"
    """The console's language when neither the operator's choice (``?lang=``, remembered in a
    cookie) nor the browser's Accept-Language names one it has."""
    console_refresh_s: float = Field(default=10.0, ge=1.0, le=3600.0)
    """How often the console refreshes the queue and the alerts by itself."""

    # HTTP API
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    """The largest request body the API reads; a larger one is refused with 413."""
    cors_origins: list[str] = Field(default_factory=list)
    """Origins a browser may call the API from, and the only sites that may frame the web chat
    (JSON list); none by default: CORS closed, the web chat frameable by any site."""
    metrics_token: SecretStr | None = None
    """When set, ``GET /metrics`` needs it as a bearer token."""
    rate_limit_api: str | None = "1200/minute"
    """Requests per API token in a moving window (``20/second``, ``1200/minute``; empty: off);
    over it, 429 with Retry-After. Counted in Redis when ``CXC_REDIS_URL`` is set (shared by
    every replica), else per process."""
    rate_limit_chat: str | None = "20/minute"
    """Messages and button taps per Telegram chat; over it the bot says so once and reads none
    until the window has room."""
    rate_limit_webchat: str | None = "20/minute"
    """Messages and picks per web chat visitor (their signed token); over it the message is
    refused with 429 and Retry-After, and the page shows it as not sent and says how long to
    wait, in the visitor's language."""
    rate_limit_ask: str | None = "600/minute"
    """``POST /v1/ask`` requests per client address; over it, 429 with Retry-After. Behind a
    proxy the address is the proxy's unless uvicorn trusts its headers
    (``FORWARDED_ALLOW_IPS``, docs/deploy.md)."""
    match_max_chars: int = Field(default=300, ge=50)
    """How much of a long text is matched against the knowledge base and resolved cases (the
    encoder's cost grows faster than the length: 300 characters ~0.3 s, 1,000 ~2-5 s): its
    beginning and its end, half each (core.domain.match_text)."""

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_production(self) -> Settings:
        if self.env == "production":
            problems = production_problems(self)
            if problems:
                raise ValueError("; ".join(problems))
        return self

    @field_validator("rate_limit_api", "rate_limit_chat", "rate_limit_webchat", "rate_limit_ask")
    @classmethod
    def _rate_limit(cls, value: str | None) -> str | None:
        if value is None or not value.strip() or value.strip() == "0":
            return None
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as 20/minute or 5/second") from None
        return value.strip()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'cxc.db').resolve()}"

    @property
    def queued_channels(self) -> tuple[str, ...]:
        """Channels whose queued messages reach the customer: Telegram (the bot or the worker
        sends them), e-mail once an SMTP server is configured (the worker), the web chat once
        it is on (the visitor's page fetches them)."""
        smtp = ("email",) if self.smtp_host else ()
        web = ("web",) if self.webchat_secret else ()
        return ("telegram", *smtp, *web)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def index_dir(self) -> Path:
        """Where the lexical index and the trained matcher live (beside embedded Chroma)."""
        return self.data_dir / "index"

    # Pulses and reports: CSAT/CES after resolutions, NPS cadence, the worker loop
    pulse_enabled: bool = True
    pulse_delay_s: float = Field(default=60.0, ge=0.0)
    """Seconds between a resolution and its pulse."""
    pulse_expiry_h: float = Field(default=72.0, gt=0.0)
    pulse_min_interval_days: float = Field(default=7.0, ge=0.0)
    """At most one CSAT/CES pulse per customer in this many days for resolutions of one kind
    (by the bot alone, or with a person): a person's resolution is surveyed even on the day a
    bot answer was."""
    pulse_sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    pulse_low_csat: int = Field(default=2, ge=1, le=5)
    """A CSAT at or below this opens a recovery case."""
    pulse_low_ces: int = Field(default=3, ge=1, le=7)
    """A CES at or below this opens a recovery case."""
    pulse_nps_detractor: int = Field(default=6, ge=0, le=10)
    """An NPS at or below this (a detractor) opens a recovery case."""
    pulse_link_secret: SecretStr | None = None
    """Signs the survey links sent on non-Telegram channels."""
    public_base_url: str = "http://127.0.0.1:8000"
    """Where customers reach this API (survey links)."""
    nps_interval_days: int = Field(default=90, ge=1)
    nps_batch: int = Field(default=200, ge=0)
    survey_gap_h: float = Field(default=24.0, ge=0.0)
    """One survey per customer at a time: no NPS within this many hours of a CSAT/CES pulse
    (pending, sent or due) or a resolution, and no CSAT/CES within it of an NPS round."""
    worker_interval_s: float = Field(default=10.0, gt=0.0)
    heartbeat_s: float = Field(default=15.0, gt=0.0, le=3600.0)
    """How often the bot and the worker renew their heartbeat (``cxc health --process``: keep
    its ``--max-age`` a few beats longer)."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    """One line per event either way; json for a log collector."""
    database_wait_s: float = Field(default=30.0, ge=0.0)
    """How long a starting process waits for an unreachable database, retrying, before it stops."""
    default_region: str = Field(default="RU", min_length=2, max_length=2)
    """Where phone numbers written without a country code are from (ISO 3166 alpha-2)."""
    claim_lease_s: float = Field(default=60.0, gt=0.0)
    """How long a process holds a claim on an update, a delivery or a pulse: after a crash
    (kill -9) another process takes it over once this has passed."""
    knowledge_poll_s: float = Field(default=2.0, ge=0.0)
    """How often an answering process checks the knowledge version (0: never; tests)."""
    case_memory_interval_s: float = Field(default=30.0, ge=0.0)
    """How often the API embeds newly resolved and newly synced CRM cases into the case memory
    (similar cases, a customer's past cases); 0: only before suggestions and by
    ``cxc cases remember``."""

    # Proactive notices: incidents, late orders, late promises (docs/incidents.md)
    notice_window: int = Field(default=300, ge=1)
    """At most this many notices wait unsent in the delivery log at a time (a pause withdraws
    the rest; the channel's senders set the pace)."""
    late_order_grace_h: float = Field(default=2.0, ge=0.0)
    """An undelivered order this long past its promised date gets an apology (once)."""
    late_order_lookback_days: float = Field(default=14.0, gt=0.0)
    """Orders promised longer ago than this are not apologised for (old CRM data)."""
    promise_notice_grace_h: float = Field(default=24.0, ge=0.0)
    """An overdue promise still open this long after its due time: the customer is told (once)."""

    # CRM connectors (docs/crm.md)
    crm_adapter: Literal["files", "hubspot", "amocrm", "bitrix24"] | None = None
    """The source the worker syncs every ``crm_sync_interval_s`` (and ``cxc crm sync``'s
    default)."""
    crm_files_path: Path | None = None
    """The folder of export files the ``files`` connector reads."""
    crm_sync_interval_s: float = Field(default=0.0, ge=0.0)
    """How often the worker syncs ``crm_adapter`` (0: never; ``cxc crm sync`` by hand)."""
    crm_timeout_s: float = Field(default=30.0, gt=0.0)
    crm_attempts: int = Field(default=5, ge=1)
    """Tries per CRM request (429, 5xx and timeouts back off in between)."""
    hubspot_token: SecretStr | None = None
    """A HubSpot private app's access token (its scopes: docs/crm.md)."""
    hubspot_url: str = "https://api.hubapi.com"
    amocrm_token: SecretStr | None = None
    """An amoCRM long-lived access token."""
    amocrm_url: str | None = None
    """The account's address, e.g. ``https://example.amocrm.ru``."""
    bitrix24_url: SecretStr | None = None
    """A Bitrix24 inbound webhook (``https://example.bitrix24.ru/rest/1/<code>/``; the code is
    its secret), with the CRM scope."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation error into a ConfigError that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "__root__"]
        name = f"{ENV_PREFIX}{loc[0].upper()}" if loc else "settings"
        parts.append(f"{name}: {err.get('msg', 'invalid value')}")
    return "invalid configuration: " + "; ".join(parts)
