"""The service client: OAuth2 client-credentials tokens with a signed assertion, a shared token
cache, and service calls, against the demo platform and a scripted platform on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import timedelta

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool.db import session_factory, utcnow
from lti_tool.lti.claims import SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_NRPS, SCOPE_SCORE
from lti_tool.lti.models import Platform, ServiceToken
from lti_tool.lti.service_client import ServiceClient, ServiceError, TokenError, scope_key
from tests.support.serving import free_port
from xapi.client import parse_retry_after

# --- a real HTTP server for the tool with its demo platform ---------------------------------


class QuickServer:
    """A WSGI app on 127.0.0.1 in a thread that shuts down without waiting half a second."""

    def __init__(self, wsgi):
        self._server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


class ServedApp(QuickServer):
    """The application on 127.0.0.1, so the tool calls its own demo platform over real HTTP."""

    def __init__(self):
        self.app = None
        self.paths: list[str] = []
        super().__init__(self._wsgi)

    def _wsgi(self, environ, start_response):
        self.paths.append(environ.get("PATH_INFO", ""))
        return self.app(environ, start_response)

    def count(self, path: str) -> int:
        return sum(1 for p in self.paths if p == path)


@pytest.fixture
def served():
    server = ServedApp()
    yield server
    server.close()


@pytest.fixture
def settings_overrides(settings_overrides, served):
    # The demo platform's URLs (token, AGS, NRPS) are built from base_url: make it the real server.
    return {**settings_overrides, "base_url": served.base_url, "demo_enabled": True, "outbox_request_timeout": 2.0}


@pytest.fixture
def demo(app, db, served):
    from lti_tool.demo.services import ensure_demo_platform

    served.app = app
    created = ensure_demo_platform(db, app.extensions["leerpaspoort.settings"])
    db.commit()
    return created


@pytest.fixture
def demo_platform(db, demo) -> Platform:
    return db.get(Platform, demo.platform_id)


@pytest.fixture
def service_client(app) -> ServiceClient:
    return ServiceClient(session_factory(app), timeout=2.0)


# --- a scripted platform that answers what a test tells it to -------------------------------


class ScriptedPlatform:
    """A platform on 127.0.0.1 whose token and service answers a test scripts in advance."""

    def __init__(self):
        self.token_answers: deque = deque()
        self.service_answers: deque = deque()
        # Fixed answers by path and query ("/members?page=2"), for paged services.
        self.routes: dict[str, tuple[int, str, dict]] = {}
        self.tokens_issued = 0
        self.release = threading.Event()
        self.requests: list[dict] = []
        self.server = QuickServer(self._wsgi)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.close()

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": request.get_data(as_text=True)})
        return self._handle(request)(environ, start_response)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    def requests_to(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def _handle(self, request: Request) -> Response:
        if request.path == "/token":
            if self.token_answers:
                status, body, headers = self.token_answers.popleft()
                return Response(body, status=status, headers=headers)
            self.tokens_issued += 1
            body = {"access_token": f"token-{self.tokens_issued}", "token_type": "Bearer", "expires_in": 3600, "scope": request.form.get("scope")}
            return Response(json.dumps(body), content_type="application/json")
        if request.path == "/hang":
            # Answer only when the test is over: the client must give up on its own timeout.
            self.release.wait(10)
            return Response("late", status=200)
        route = self.routes.get(request.full_path.rstrip("?"))
        if route is not None:
            status, body, headers = route
            return Response(body, status=status, headers=headers)
        if self.service_answers:
            status, body, headers = self.service_answers.popleft()
            return Response(body, status=status, headers=headers)
        return Response(status=204)

    def register_in(self, db, *, client_id="scripted-client", auth_audience=None) -> Platform:
        platform = Platform(
            issuer=self.base_url,
            client_id=client_id,
            auth_login_url=self.base_url + "/auth",
            auth_token_url=self.token_url,
            auth_audience=auth_audience,
            key_set_url=self.base_url + "/jwks",
        )
        db.add(platform)
        db.commit()
        return platform


@pytest.fixture
def scripted():
    with ScriptedPlatform() as platform:
        yield platform


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting fails at once."""
    port = free_port()
    return f"http://127.0.0.1:{port}/token"


# --- tokens against the demo platform -------------------------------------------------------


def test_a_token_is_obtained_from_the_demo_platform_and_cached_in_the_database(db, demo_platform, served, service_client):
    first = service_client.access_token(demo_platform, [SCOPE_SCORE])
    second = service_client.access_token(demo_platform, [SCOPE_SCORE])

    assert first == second
    assert served.count("/demo/token") == 1
    cached = db.get(ServiceToken, (demo_platform.id, scope_key([SCOPE_SCORE])))
    assert cached.access_token == first
    assert timedelta(minutes=58) < cached.expires_at - utcnow() <= timedelta(hours=1)


def test_the_token_cache_is_shared_by_a_new_client_as_after_a_restart(app, demo_platform, served, service_client):
    token = service_client.access_token(demo_platform, [SCOPE_SCORE])

    restarted = ServiceClient(session_factory(app), timeout=2.0)

    assert restarted.access_token(demo_platform, [SCOPE_SCORE]) == token
    assert served.count("/demo/token") == 1


def test_scope_sets_are_cached_apart_whatever_their_order(db, demo_platform, served, service_client):
    both = service_client.access_token(demo_platform, [SCOPE_LINEITEM, SCOPE_SCORE])
    reordered = service_client.access_token(demo_platform, [SCOPE_SCORE, SCOPE_LINEITEM])
    roster = service_client.access_token(demo_platform, [SCOPE_NRPS])

    assert both == reordered
    assert roster != both
    assert served.count("/demo/token") == 2
    assert db.scalar(select(func.count()).select_from(ServiceToken)) == 2


def test_a_token_close_to_expiry_is_renewed(db, demo_platform, served, service_client):
    old = service_client.access_token(demo_platform, [SCOPE_SCORE])
    db.get(ServiceToken, (demo_platform.id, scope_key([SCOPE_SCORE]))).expires_at = utcnow() + timedelta(seconds=30)
    db.commit()

    new = service_client.access_token(demo_platform, [SCOPE_SCORE])

    assert new != old
    assert served.count("/demo/token") == 2
    db.expire_all()
    assert db.get(ServiceToken, (demo_platform.id, scope_key([SCOPE_SCORE]))).access_token == new


def test_the_client_assertion_carries_the_claims_the_platform_checks(db, demo_platform, service_client):
    from lti_tool.lti.keys import public_jwks, signing_key

    first = service_client.client_assertion(db, demo_platform)
    second = service_client.client_assertion(db, demo_platform)
    db.commit()

    header = jwt.get_unverified_header(first)
    key = signing_key(db)
    assert header["alg"] == "RS256" and header["kid"] == key.kid
    published = {k["kid"]: k for k in public_jwks(db)["keys"]}
    body = jwt.decode(
        first,
        RSAAlgorithm.from_jwk(json.dumps(published[header["kid"]])),
        algorithms=["RS256"],
        audience=demo_platform.auth_token_url,
    )
    assert body["iss"] == body["sub"] == demo_platform.client_id
    assert 0 < body["exp"] - body["iat"] <= 300
    assert body["jti"] != jwt.decode(second, options={"verify_signature": False})["jti"]


def test_the_assertion_audience_is_the_authorization_server_when_one_is_registered(db, demo, demo_platform, served, service_client):
    demo_platform.auth_audience = demo.issuer
    db.commit()

    assertion = service_client.client_assertion(db, demo_platform)
    db.commit()

    assert jwt.decode(assertion, options={"verify_signature": False})["aud"] == demo.issuer
    # The demo platform accepts its issuer as audience too: the whole exchange works.
    assert service_client.access_token(demo_platform, [SCOPE_SCORE])


def test_a_refused_assertion_is_a_token_error_with_the_platforms_status_and_answer(db, demo_platform, service_client):
    demo_platform.auth_audience = "https://elsewhere.example/token"
    db.commit()

    with pytest.raises(TokenError) as refused:
        service_client.access_token(demo_platform, [SCOPE_SCORE])

    assert refused.value.status == 401
    assert "invalid_client" in refused.value.body
    assert "401" in str(refused.value)
    assert db.scalar(select(func.count()).select_from(ServiceToken)) == 0


def test_a_token_request_for_a_scope_the_platform_does_not_offer_fails_with_400(demo_platform, service_client):
    with pytest.raises(TokenError) as refused:
        service_client.access_token(demo_platform, ["https://example.org/scope/unknown"])

    assert refused.value.status == 400
    assert "invalid_scope" in refused.value.body


# --- service calls --------------------------------------------------------------------------


def test_a_service_call_renews_a_token_the_platform_no_longer_accepts(db, demo_platform, served, service_client):
    service_client.access_token(demo_platform, [SCOPE_NRPS])
    db.get(ServiceToken, (demo_platform.id, scope_key([SCOPE_NRPS]))).access_token = "revoked-by-the-platform"
    db.commit()

    response = service_client.request(
        demo_platform, [SCOPE_NRPS], "GET", served.base_url + "/demo/nrps/memberships", accept="application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    )

    assert response.status_code == 200
    assert served.count("/demo/nrps/memberships") == 2
    assert served.count("/demo/token") == 2


def test_a_service_call_with_a_token_lacking_the_scope_fails_with_the_platforms_401(demo_platform, served, service_client):
    with pytest.raises(ServiceError) as refused:
        service_client.request(demo_platform, [SCOPE_LINEITEM_READONLY], "GET", served.base_url + "/demo/nrps/memberships")

    assert refused.value.status == 401
    # One renewal, then the answer stands.
    assert served.count("/demo/nrps/memberships") == 2


# --- errors against the scripted platform ---------------------------------------------------


def test_a_platform_error_body_is_kept_but_truncated(db, scripted, service_client):
    platform = scripted.register_in(db)
    scripted.service_answers.append((500, "x" * 5000, {}))

    with pytest.raises(ServiceError) as failed:
        service_client.request(platform, [SCOPE_SCORE], "POST", scripted.base_url + "/scores", json_body={"a": 1})

    assert failed.value.status == 500
    assert 0 < len(failed.value.body) <= 501
    assert len(str(failed.value)) < 700


def test_a_service_that_does_not_answer_in_time_is_a_network_error(db, scripted, app):
    platform = scripted.register_in(db)
    impatient = ServiceClient(session_factory(app), timeout=0.3)

    with pytest.raises(ServiceError) as failed:
        impatient.request(platform, [SCOPE_SCORE], "GET", scripted.base_url + "/hang")

    assert failed.value.is_network_error
    assert "Timeout" in str(failed.value)


def test_an_unreachable_token_endpoint_is_a_token_error_without_status(db, scripted, service_client):
    platform = scripted.register_in(db)
    platform.auth_token_url = closed_port_url()
    db.commit()

    with pytest.raises(TokenError) as failed:
        service_client.access_token(platform, [SCOPE_SCORE])

    assert failed.value.status is None


@pytest.mark.parametrize(
    "answer",
    [
        '{"token_type": "Bearer"}',
        "<html>login</html>",
        '{"access_token": "abc", "token_type": "MAC"}',
    ],
)
def test_a_token_answer_without_a_bearer_token_is_refused(db, scripted, service_client, answer):
    platform = scripted.register_in(db)
    scripted.token_answers.append((200, answer, {"Content-Type": "application/json"}))

    with pytest.raises(TokenError):
        service_client.access_token(platform, [SCOPE_SCORE])

    assert db.scalar(select(func.count()).select_from(ServiceToken)) == 0


def test_tokens_are_cached_per_platform_and_never_lent_to_another(db, scripted, service_client):
    first = scripted.register_in(db, client_id="tenant-a")
    second = scripted.register_in(db, client_id="tenant-b")

    token_a = service_client.access_token(first, [SCOPE_SCORE])
    token_b = service_client.access_token(second, [SCOPE_SCORE])

    assert token_a != token_b
    assertions = [jwt.decode(r["body"].split("client_assertion=")[1].split("&")[0], options={"verify_signature": False}) for r in scripted.requests_to("/token")]
    assert [a["iss"] for a in assertions] == ["tenant-a", "tenant-b"]
    assert service_client.access_token(first, [SCOPE_SCORE]) == token_a


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    from datetime import datetime, timezone

    now = datetime(2026, 11, 23, 10, 0, 0, tzinfo=timezone.utc)

    assert parse_retry_after("120") == 120
    assert parse_retry_after("Mon, 23 Nov 2026 10:01:30 GMT", now) == 90
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --- AGS line items of a resource link ------------------------------------------------------


def _link(db, platform, resource_link_id: str, **changes):
    from lti_tool.demo.services import AGS_SCOPES, service_urls
    from lti_tool.people.models import ResourceLink

    base_url = platform.issuer.removesuffix("/demo")
    link = ResourceLink(
        platform_id=platform.id,
        resource_link_id=resource_link_id,
        lineitems_url=service_urls(base_url)["lineitems"],
        ags_scopes=list(AGS_SCOPES),
        custom={},
        **changes,
    )
    db.add(link)
    db.commit()
    return link


def test_the_line_item_from_the_launch_is_used_without_asking_the_platform(db, demo_platform, served, service_client):
    from lti_tool.lti.ags import ensure_line_item

    link = _link(db, demo_platform, "1", lineitem_url="https://lms/lineitem/1")

    assert ensure_line_item(db, service_client, link, label="x", score_maximum=10) == "https://lms/lineitem/1"
    assert served.count("/demo/token") == 0


def test_an_existing_line_item_of_the_link_is_found(db, demo, demo_platform, service_client):
    from lti_tool.demo.models import DemoLineItem
    from lti_tool.demo.services import built_in_item, line_item_url
    from lti_tool.lti.ags import ensure_line_item

    item = built_in_item(db, demo)
    column = db.scalars(select(DemoLineItem).where(DemoLineItem.course_item_id == item.id)).one()
    link = _link(db, demo_platform, str(item.id))

    found = ensure_line_item(db, service_client, link, label="Portfolio", score_maximum=100)

    assert found == line_item_url(demo_platform.issuer.removesuffix("/demo"), column.id)
    assert link.lineitem_url == found


def test_a_line_item_is_created_once_for_a_link_that_has_none(db, demo, demo_platform, served, service_client):
    from lti_tool.demo.models import DemoCourseItem, DemoLineItem
    from lti_tool.lti.ags import ensure_line_item

    item = DemoCourseItem(demo_platform_id=demo.id, title="Reflection", text="", custom={}, source="deep-linking")
    db.add(item)
    db.commit()
    link = _link(db, demo_platform, str(item.id))

    created = ensure_line_item(db, service_client, link, label="Reflection", score_maximum=10, tag="reflection")
    db.commit()
    again = ensure_line_item(db, service_client, link, label="Reflection", score_maximum=10)

    assert created == again
    columns = list(db.scalars(select(DemoLineItem).where(DemoLineItem.course_item_id == item.id)))
    assert [(c.label, c.score_maximum, c.tag) for c in columns] == [("Reflection", 10, "reflection")]


def test_a_link_without_the_lineitem_scope_cannot_create_a_column(db, demo, demo_platform, served, service_client):
    from lti_tool.lti.ags import LineItemError, ensure_line_item

    link = _link(db, demo_platform, "999")
    link.ags_scopes = [SCOPE_LINEITEM_READONLY, SCOPE_SCORE]
    db.commit()

    with pytest.raises(LineItemError, match="create gradebook columns"):
        ensure_line_item(db, service_client, link, label="Reflection", score_maximum=10)
