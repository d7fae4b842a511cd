"""All configuration, read from ``SELFASSESS_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

import secrets
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from selfassess.paths import resource_dir


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SELFASSESS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the SQLite database and the generated secret key; created on first run.",
    )
    templates_dir: Path = Field(default_factory=lambda: resource_dir("templates"))
    static_dir: Path = Field(default_factory=lambda: resource_dir("static"))
    migrations_dir: Path = Field(default_factory=lambda: resource_dir("migrations"))

    # --- database -------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: a SQLite file in data_dir. "
        "PostgreSQL: postgresql://user:password@host:5432/dbname (psycopg 3 is used).",
    )
    database_pool_size: int = Field(
        default=10,
        ge=0,
        description="Connections kept open per worker; 0 opens one per request "
        "(for an external pooler such as PgBouncer).",
    )
    database_prepared_statements: bool = Field(
        default=True,
        description="Let psycopg prepare statements it runs often; false behind a pooler in transaction "
        "mode (PgBouncer before 1.21, or without max_prepared_statements), where the next transaction "
        "may get another server connection that never saw them.",
    )
    database_echo: bool = False
    auto_migrate: bool = Field(
        default=False,
        description="Apply pending migrations on start instead of refusing to start.",
    )

    # --- web ------------------------------------------------------------------------------
    debug: bool = False
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of the service, used in e-mailed links and to decide on secure cookies.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs sessions and CSRF tokens. If unset, one is generated and kept in data_dir. "
        "Set it explicitly when running several hosts.",
    )
    session_max_age_seconds: int = Field(default=8 * 3600, ge=300)
    timezone: str = "Europe/London"

    # --- log-in protection -------------------------------------------------------------------
    login_max_failures: int = Field(default=5, ge=1, description="Failed log-ins allowed per window.")
    login_window_seconds: int = Field(default=15 * 60, ge=60)

    # --- e-mailed links that set a password ---------------------------------------------------
    invitation_link_hours: int = Field(
        default=72, ge=1, description="How long an invitation to set up an account stays valid."
    )
    reset_link_hours: int = Field(default=1, ge=1, description="How long a password reset link stays valid.")
    reset_requests_per_hour: int = Field(
        default=10,
        ge=1,
        description="'Forgot your password?' requests answered per address per hour; more wait.",
    )

    # OWASP's recommended argon2id setting (46 MiB, 1 pass, 1 lane): about 0.2 s per log-in here.
    password_hash_memory_kib: int = Field(default=47104, ge=8, description="argon2 memory cost.")
    password_hash_time_cost: int = Field(default=1, ge=1)

    # --- uploads ------------------------------------------------------------------------------
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    upload_allowed_types: tuple[str, ...] = (
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

    # --- mail -----------------------------------------------------------------------------------
    smtp_host: str | None = Field(default=None, description="No host: e-mails wait in the outbox.")
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "selfassess <no-reply@selfassess.invalid>"

    # --- the regulator's (CQC) public API ---------------------------------------------------------
    cqc_api_base_url: str = Field(
        default="https://api.service.cqc.org.uk/public/v1",
        description="The CQC public API; its data is imported and kept in step by sync-regulator.",
    )
    cqc_subscription_key: SecretStr | None = Field(
        default=None,
        description="The key from the CQC API portal, sent as Ocp-Apim-Subscription-Key.",
    )
    cqc_timeout_seconds: float = Field(default=20.0, gt=0, description="Per request to the CQC API.")
    cqc_max_retries: int = Field(
        default=5, ge=0, description="Retries of a request answered 429 or 5xx (or that timed out)."
    )
    cqc_backoff_seconds: float = Field(
        default=1.0, ge=0, description="First wait before a retry, then doubled (unless Retry-After says)."
    )
    cqc_max_backoff_seconds: float = Field(default=60.0, ge=0, description="Longest wait before a retry.")
    cqc_page_size: int = Field(default=500, ge=1, le=1000, description="Locations asked for per page.")

    # --- webhooks --------------------------------------------------------------------------------
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Let webhooks go to http:// and to loopback, private or link-local addresses "
        "(a receiver on this machine, in tests and development). Off, they go only to https:// "
        "addresses on the internet, so a webhook cannot reach the database or a cloud metadata service.",
    )

    @field_validator("data_dir", "templates_dir", "static_dir", "migrations_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    # --- derived ---------------------------------------------------------------------------------
    @cached_property
    def sqlalchemy_url(self) -> str:
        """The async driver URL the application uses."""
        return async_driver_url(self.database_url or f"sqlite:///{self.data_dir / 'selfassess.db'}")

    @cached_property
    def sync_sqlalchemy_url(self) -> str:
        """The blocking driver URL Alembic and the backup command use."""
        return sync_driver_url(self.sqlalchemy_url)

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    @cached_property
    def secret(self) -> bytes:
        """The configured secret, or one generated once and kept beside the data."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_urlsafe(48))
        return key_file.read_text().strip().encode()


def async_driver_url(url: str) -> str:
    """Accept the URLs people write and pick the async drivers we ship (aiosqlite, psycopg 3)."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def sync_driver_url(url: str) -> str:
    return url.replace("sqlite+aiosqlite://", "sqlite://", 1)


@lru_cache
def get_settings() -> Settings:
    return Settings()
