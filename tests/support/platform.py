"""A test LTI platform: its own RSA key, a real JWKS server on 127.0.0.1, Moodle-shaped launches."""

from __future__ import annotations

import copy
import json
import secrets
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.serving import server_thread

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "moodle-4.5"
DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
TARGET_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key, kid: str) -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return jwk


class LocalServer:
    """A WSGI app served on 127.0.0.1 in a thread, for the tool to call over real HTTP."""

    def __init__(self, handler: Callable[[Request], Response]):
        self.handler = handler
        self.requests: list[dict[str, Any]] = []
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = server_thread(self._server)

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(as_text=True)
        self.requests.append(
            {"method": request.method, "path": request.path, "headers": dict(request.headers), "body": body, "args": dict(request.args)}
        )
        return self.handler(request)(environ, start_response)

    def __enter__(self) -> "LocalServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


class TestPlatform:
    """Signs id_tokens like Moodle 4.5 does, with a key published on a local JWKS server."""

    __test__ = False

    def __init__(self, issuer: str | None = None, client_id: str = "4u7HymkzRJBrCHS", deployment_id: str = "1"):
        self.key = new_rsa_key()
        self.kid = "platform-" + secrets.token_hex(4)
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.jwks_hits = 0
        self.jwks_headers: dict[str, str] = {"Cache-Control": "max-age=300"}
        self.extra_keys: list[dict[str, Any]] = []
        self.server = LocalServer(self._handle)
        self.issuer = issuer or self.server.base_url

    def __enter__(self) -> "TestPlatform":
        self.server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)

    @property
    def jwks_url(self) -> str:
        return self.server.base_url + "/mod/lti/certs.php"

    @property
    def auth_login_url(self) -> str:
        return self.server.base_url + "/mod/lti/auth.php"

    @property
    def token_url(self) -> str:
        return self.server.base_url + "/mod/lti/token.php"

    def _handle(self, request: Request) -> Response:
        if request.path == "/mod/lti/certs.php":
            self.jwks_hits += 1
            keys = [public_jwk(self.key, self.kid), *self.extra_keys]
            return Response(json.dumps({"keys": keys}), content_type="application/json", headers=self.jwks_headers)
        return Response("not found", status=404)

    def register_in(self, session, deployment_ids=None):
        """Add this platform to the tool's database, as `platform add` would."""
        from lti_tool.lti.platforms import PlatformInput, add_platform

        platform = add_platform(
            session,
            PlatformInput(
                issuer=self.issuer,
                client_id=self.client_id,
                auth_login_url=self.auth_login_url,
                auth_token_url=self.token_url,
                key_set_url=self.jwks_url,
                deployment_ids=deployment_ids or [self.deployment_id],
                name="Test Moodle",
            ),
        )
        session.commit()
        return platform

    def claims_from(self, fixture_name: str, *, nonce: str, tool_base_url: str) -> dict[str, Any]:
        """Moodle's captured claims, re-issued by this platform with fresh times and nonce."""
        body = copy.deepcopy(fixture(fixture_name))
        now = int(time.time())
        body.update(iss=self.issuer, aud=self.client_id, nonce=nonce, iat=now, exp=now + 60)
        body[DEPLOYMENT_CLAIM] = self.deployment_id
        body[TARGET_CLAIM] = tool_base_url + "/lti/launch"
        return body

    def sign(self, body: dict[str, Any], *, key=None, kid: str | None = None, alg: str = "RS256") -> str:
        return jwt.encode(body, key or self.key, algorithm=alg, headers={"kid": kid or self.kid})

    def login_form(self, tool_base_url: str) -> dict[str, str]:
        form = fixture("login-initiation-form-post")
        form.update(iss=self.issuer, client_id=self.client_id, lti_deployment_id=self.deployment_id)
        form["target_link_uri"] = tool_base_url + "/lti/launch"
        return form


def auth_params(location: str) -> dict[str, str]:
    """The query of the tool's redirect to the platform's authorisation endpoint."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def pem(private_key) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
