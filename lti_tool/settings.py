"""Settings: config/*.toml, then LEERPASPOORT_* environment variables, then overrides.

Keys are flat names; a TOML table prefixes its keys (`[lti] clock_leeway` is
`lti_clock_leeway`), and the environment variable is the upper-cased key with the
`LEERPASPOORT_` prefix (`LEERPASPOORT_LTI_CLOCK_LEEWAY`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from xapi.client import normalise_endpoint

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_DIR / "config" / "default.toml"
ENV_PREFIX = "LEERPASPOORT_"
DEVELOPMENT_SECRET = "dev-insecure-secret-key"


class SettingsError(Exception):
    """A setting is missing or invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    env: str
    secret_key: str
    base_url: str
    instance_path: str
    database_url: str
    default_locale: str
    lti_clock_leeway: int
    lti_unknown_deployments: str
    lti_jwks_timeout: float
    lti_jwks_min_refetch_interval: int
    lti_login_state_ttl: int
    lti_session_ticket_ttl: int
    outbox_embedded_worker: bool
    outbox_max_attempts: int
    outbox_poll_interval: float
    outbox_request_timeout: float
    outbox_retry_base_delay: float
    outbox_retry_max_delay: float
    outbox_housekeeping_interval: float
    demo_enabled: bool
    storage_backend: str
    storage_local_path: str
    uploads_max_file_size: int
    uploads_quota_per_learner: int
    uploads_max_image_pixels: int
    lrs_forward_endpoint: str
    lrs_forward_key: str
    lrs_forward_secret: str
    lrs_forward_version: str

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_https(self) -> bool:
        return self.base_url.startswith("https://")

    def url(self, path: str) -> str:
        """Return the absolute public URL of a path on this tool."""
        return self.base_url.rstrip("/") + path


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}_"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


_KIND_NAMES = {int: "a whole number", float: "a number", str: "text"}


def _coerce(name: str, raw: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"Setting {name} must be true or false, not {raw!r}.")
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"Setting {name} must be {_KIND_NAMES[kind]}, not {raw!r}.") from None


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the settings from files, environment and overrides, and validate them once."""
    environ = os.environ if environ is None else environ
    values = _flatten(tomllib.loads(DEFAULT_CONFIG.read_text()))
    config_file = (overrides or {}).get("config") or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise SettingsError(f"LEERPASPOORT_CONFIG points to {path}, which does not exist.")
        values.update(_flatten(tomllib.loads(path.read_text())))
    known = {field.name: field for field in fields(Settings)}
    for name in known:
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = env_value
    for name, value in (overrides or {}).items():
        if name != "config":
            values[name] = value
    unknown = set(values) - set(known)
    if unknown:
        raise SettingsError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
    kinds = {"int": int, "float": float, "bool": bool, "str": str}
    typed = {name: _coerce(name, values[name], kinds[str(known[name].type)]) for name in known}
    typed["instance_path"] = str((PROJECT_DIR / typed["instance_path"]).resolve())
    typed["database_url"] = typed["database_url"].replace("{instance}", typed["instance_path"])
    settings = Settings(**typed)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.env not in {"development", "production", "test"}:
        raise SettingsError("Setting env must be development, production or test.")
    if settings.is_production and settings.secret_key in {"", DEVELOPMENT_SECRET}:
        raise SettingsError(
            "Refusing to start in production without a secret key: set LEERPASPOORT_SECRET_KEY "
            "to a long random value (python -c \"import secrets; print(secrets.token_urlsafe(48))\")."
        )
    if settings.is_production and len(settings.secret_key) < 32:
        raise SettingsError("LEERPASPOORT_SECRET_KEY must be at least 32 characters in production.")
    if settings.is_production and settings.demo_enabled:
        raise SettingsError("The demo platform must be off in production (demo_enabled = false).")
    if not settings.base_url.startswith(("http://", "https://")):
        raise SettingsError("LEERPASPOORT_BASE_URL must start with http:// or https://.")
    if settings.lti_unknown_deployments not in {"accept", "hold"}:
        raise SettingsError('Setting lti_unknown_deployments must be "accept" or "hold".')
    if settings.lti_clock_leeway < 0 or settings.lti_clock_leeway > 600:
        raise SettingsError("Setting lti_clock_leeway must be between 0 and 600 seconds.")
    if settings.outbox_max_attempts < 1 or settings.outbox_poll_interval <= 0 or settings.outbox_request_timeout <= 0:
        raise SettingsError("Settings outbox_max_attempts, outbox_poll_interval and outbox_request_timeout must be above 0.")
    if not 0 < settings.outbox_retry_base_delay <= settings.outbox_retry_max_delay:
        raise SettingsError("Setting outbox_retry_base_delay must be above 0 and at most outbox_retry_max_delay.")
    if settings.outbox_housekeeping_interval <= 0:
        raise SettingsError("Setting outbox_housekeeping_interval must be above 0 seconds.")
    _validate_lrs_forward(settings)
    if settings.uploads_max_file_size < 1 or settings.uploads_quota_per_learner < settings.uploads_max_file_size:
        raise SettingsError(
            "Setting uploads_max_file_size must be at least 1 byte and at most uploads_quota_per_learner."
        )


LRS_FORWARD_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")


def _validate_lrs_forward(settings: Settings) -> None:
    if not settings.lrs_forward_endpoint:
        return
    try:
        # The same check the forwarder makes on every store: a bad URL must stop start-up, not
        # make every statement write fail later.
        normalise_endpoint(settings.lrs_forward_endpoint)
    except ValueError as exc:
        raise SettingsError(f"Setting lrs_forward_endpoint: {exc} (Leave it empty to forward nothing.)") from None
    if not settings.lrs_forward_key or not settings.lrs_forward_secret:
        raise SettingsError(
            "Forwarding to an external LRS needs its credential: set LEERPASPOORT_LRS_FORWARD_KEY and LEERPASPOORT_LRS_FORWARD_SECRET."
        )
    if settings.lrs_forward_version not in LRS_FORWARD_VERSIONS:
        raise SettingsError(f"Setting lrs_forward_version must be one of {', '.join(LRS_FORWARD_VERSIONS)}.")
