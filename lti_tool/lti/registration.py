"""LTI Dynamic Registration 1.0: register this tool with a platform from one URL.

The platform opens /lti/register with `openid_configuration` and `registration_token`.
We fetch its configuration, POST our client metadata to its registration endpoint and
store what it answers as an active registration, all in that one request: Moodle opens
the URL in an iframe where our cookies may be blocked, and the registration token is
the platform's authorisation, so no session or CSRF token of ours is involved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _
from pylti1p3.dynamic_registration import DynamicRegistration
from sqlalchemy.orm import Session

from lti_tool.errors import DomainError
from lti_tool.lti import claims
from lti_tool.lti.models import Platform
from lti_tool.lti.platforms import PlatformError, PlatformInput, add_platform
from lti_tool.security import origin_of

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CLIENT_NAME = "Leerpaspoort"
DESCRIPTION = "E-portfolio, reflections and learning records for your course."
REQUESTED_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
DEFAULT_TIMEOUT = 10.0
# An error answer from a platform is shown to the administrator, but only a little of it.
_ERROR_EXCERPT = 300


class RegistrationError(DomainError):
    """Dynamic Registration could not be completed; the message says exactly why."""

    status = 400


@dataclass
class Registered:
    platform: Platform
    platform_origin: str
    product_family: str
    deployment_id: str | None


class _TimeoutSession(requests.Session):
    """A requests session that never waits for a platform longer than the timeout."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, **kwargs)


class ToolRegistration(DynamicRegistration):
    """pylti1p3's registration flow with our metadata and the checks the spec asks for."""

    client_name = CLIENT_NAME
    description = DESCRIPTION

    def __init__(self, base_url: str, openid_configuration_url: str, registration_token: str | None, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.openid_configuration_url = openid_configuration_url
        self.registration_token = registration_token or None
        self.timeout = timeout

    def url(self, path: str) -> str:
        return self.base_url + path

    def get_request_session(self) -> requests.Session:
        return _TimeoutSession(self.timeout)

    def get_openid_configuration_endpoint(self) -> str:
        return self.openid_configuration_url

    def get_registration_token(self) -> str:
        return self.registration_token  # type: ignore[return-value]

    def get_initiate_login_uri(self) -> str:
        return self.url("/lti/login")

    def get_jwks_uri(self) -> str:
        return self.url("/lti/jwks")

    def get_redirect_uris(self) -> list[str]:
        return [self.url("/lti/launch")]

    def get_target_link_uri(self) -> str:
        return self.url("/lti/launch")

    def get_logo_uri(self) -> str:
        return self.url("/static/img/leerpaspoort-logo.svg")

    def get_domain(self) -> str:
        # LTI-DR 3.3.1 tool configuration: the domain, with the port when there is one.
        return urlsplit(self.base_url).netloc

    def get_scopes(self) -> list[str]:
        return list(claims.TOOL_SCOPES)

    def get_claims(self) -> list[str]:
        return list(REQUESTED_CLAIMS)

    def get_messages(self) -> list[dict[str, Any]]:
        return [
            {"type": claims.RESOURCE_LINK_REQUEST, "target_link_uri": self.url("/lti/launch")},
            {
                "type": claims.DEEP_LINKING_REQUEST,
                "target_link_uri": self.url("/lti/launch"),
                "label": CLIENT_NAME,
                "placements": ["ContentArea"],
            },
        ]

    def get_openid_configuration(self) -> dict[str, Any]:
        """Fetch the platform's configuration and check it before we send it anything."""
        url = self.openid_configuration_url
        try:
            with self.get_request_session() as http:
                response = http.get(url, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise RegistrationError(
                _("The platform's OpenID configuration at %(url)s could not be fetched (%(error)s).",
                  url=url, error=type(exc).__name__)
            ) from None
        if response.status_code != 200:
            raise RegistrationError(
                _("The platform's OpenID configuration at %(url)s answered HTTP %(status)s.",
                  url=url, status=response.status_code)
            )
        try:
            configuration = response.json()
        except ValueError:
            configuration = None
        if not isinstance(configuration, dict):
            raise RegistrationError(_("The platform's OpenID configuration at %(url)s is not a JSON object.", url=url))
        _check_configuration(url, configuration)
        return configuration

    def register(self) -> dict[str, Any]:
        """Send our metadata to the platform and return its answer (LTI-DR 3.5 and 3.6)."""
        configuration = self.get_openid_configuration()
        endpoint = configuration["registration_endpoint"]
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        # LTI-DR 3.5: the registration token, when given, is the bearer of the POST.
        if self.registration_token:
            headers["Authorization"] = "Bearer " + self.registration_token
        body = json.dumps(self.lti_registration_data())
        try:
            with self.get_request_session() as http:
                response = http.post(endpoint, data=body, headers=headers)
        except requests.RequestException as exc:
            raise RegistrationError(
                _("The platform's registration endpoint %(url)s could not be reached (%(error)s).",
                  url=endpoint, error=type(exc).__name__)
            ) from None
        if response.status_code not in (200, 201):
            raise RegistrationError(
                _("The platform's registration endpoint answered HTTP %(status)s%(detail)s. Start the "
                  "registration again from the platform; a registration token is valid only once and "
                  "for a limited time.", status=response.status_code, detail=_error_detail(response))
            )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise RegistrationError(_("The platform's registration endpoint did not answer with a JSON object."))
        if not isinstance(answer.get("client_id"), str) or not answer["client_id"].strip():
            raise RegistrationError(_("The platform's registration answer has no client_id."))
        if not isinstance(answer.get(TOOL_CONFIGURATION), dict):
            raise RegistrationError(_("The platform's registration answer has no LTI tool configuration."))
        return self.complete_registration(configuration, answer)

    def complete_registration(self, openid_configuration: dict[str, Any], openid_registration: dict[str, Any]) -> dict[str, Any]:
        return {"configuration": openid_configuration, "registration": openid_registration}


def _check_configuration(url: str, configuration: dict[str, Any]) -> None:
    issuer = configuration.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise RegistrationError(_("The platform's OpenID configuration has no issuer."))
    # LTI-DR 3.5.1: the issuer must be on the same origin as the configuration URL,
    # or a third party could hand us a configuration that claims another platform.
    if origin_of(issuer) is None or origin_of(issuer) != origin_of(url):
        raise RegistrationError(
            _("The issuer %(issuer)s in the OpenID configuration does not match the origin of the "
              "configuration URL (%(origin)s); the registration was refused.",
              issuer=issuer, origin=origin_of(url))
        )
    for key in ("registration_endpoint", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = configuration.get(key)
        if not isinstance(value, str) or origin_of(value) is None:
            raise RegistrationError(
                _("The platform's OpenID configuration has no valid %(field)s.", field=key)
            )
    # LTI-DR 3.4: an LTI platform describes itself in the platform-configuration block.
    if not isinstance(configuration.get(PLATFORM_CONFIGURATION), dict):
        raise RegistrationError(
            _("The OpenID configuration is not an LTI platform configuration (no %(block)s block).",
              block=PLATFORM_CONFIGURATION)
        )


def _error_detail(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    parts = [str(payload[k]) for k in ("error", "error_description") if isinstance(payload.get(k), str)]
    return (": " + " - ".join(parts))[: _ERROR_EXCERPT] if parts else ""


def _required_url(url: str | None) -> str:
    if not url:
        raise RegistrationError(
            _("The openid_configuration parameter is missing: start the registration from the "
              "platform, which adds it to this URL.")
        )
    if origin_of(url) is None:
        raise RegistrationError(_("The openid_configuration parameter %(url)s is not an http(s) URL.", url=url))
    return url


def register_with_platform(
    session: Session,
    *,
    base_url: str,
    openid_configuration_url: str | None,
    registration_token: str | None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Registered:
    """Register this tool with the platform and store the new, active registration."""
    url = _required_url(openid_configuration_url)
    flow = ToolRegistration(base_url, url, registration_token, timeout)
    result = flow.register()
    configuration, answer = result["configuration"], result["registration"]
    tool_configuration = answer[TOOL_CONFIGURATION]
    platform_block = configuration[PLATFORM_CONFIGURATION]
    deployment_id = tool_configuration.get("deployment_id")
    deployment_id = str(deployment_id) if isinstance(deployment_id, (str, int)) and str(deployment_id) else None
    product_family = platform_block.get("product_family_code")
    product_family = product_family[:100] if isinstance(product_family, str) else ""
    scope = answer.get("scope")
    granted = " ".join(scope.split()) if isinstance(scope, str) else ""
    audience = configuration.get("authorization_server")
    try:
        platform = add_platform(
            session,
            PlatformInput(
                issuer=configuration["issuer"],
                client_id=answer["client_id"].strip(),
                auth_login_url=configuration["authorization_endpoint"],
                auth_token_url=configuration["token_endpoint"],
                key_set_url=configuration["jwks_uri"],
                deployment_ids=[deployment_id] if deployment_id else [],
                name=_platform_name(platform_block, configuration["issuer"]),
                auth_audience=audience if isinstance(audience, str) and audience else None,
                product_family=product_family,
                granted_scopes=granted,
            ),
        )
    except PlatformError as exc:
        raise RegistrationError(
            _("The platform's registration could not be stored: %(reason)s", reason=str(exc))
        ) from None
    return Registered(
        platform=platform,
        platform_origin=origin_of(configuration["issuer"]) or "",
        product_family=product_family,
        deployment_id=deployment_id,
    )


def _platform_name(platform_block: dict[str, Any], issuer: str) -> str:
    family = platform_block.get("product_family_code")
    version = platform_block.get("version")
    parts = [p for p in (family, version) if isinstance(p, str) and p]
    return (" ".join(parts) or issuer)[:255]
