"""A platform written by another team: `lti1p3platform` (PyPI) behind a real HTTP server.

Everything the platform says or checks is produced by lti1p3platform's own classes: the
OIDC login initiation URL (`OIDCLoginAbstract`), the signed id_tokens for resource link
and deep-linking launches (`LTIAdvantageMessageLaunchAbstract`), its key set, the
verification of our deep-linking response (`validate_deeplinking_resp`), the OAuth2
client-credentials token (`get_access_token`) and the AGS / NRPS service endpoints
(`AssignmentsGradesService`, `NamesRoleProvisioningService`). This module only supplies
what the library leaves abstract: a request adapter, storage, and the HTML form.

Known problems in lti1p3platform 0.1.8 that this module works around (each marked
"lti1p3platform 0.1.8:" where it happens):
- the framework adapters import `pkg_resources` at import time (a DeprecationWarning,
  an error under our warning policy), so the launch form is rendered here;
- the service handlers do `page + 1` on query strings and pass every query parameter
  (including NRPS `rlid`) to the storage methods as keyword arguments, so the request
  adapter turns `page` and `limit` into numbers and the storage methods take `**_`;
- `LtiAgs.get_lti_ags_launch_claim` removes scopes from the list it is iterating over when a
  link has a line item but no line items URL; every launch here sends both URLs;
- `validate_deeplinking_resp` verifies the signature only (`verify_aud` is off and
  `iss`, `exp`, `nonce` are not required), so the return endpoint checks the audience,
  issuer and expiry itself with the same key lti1p3platform resolved;
- `get_access_token` accepts any signed client assertion without checking its `aud`
  (the token URL) or `sub` (our client id), so the token endpoint checks those too;
- the tool's key set is fetched once and cached forever on the registration object; a
  fresh registration per request keeps key rotation on our side visible.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lti1p3platform.exceptions import LineItemNotFoundException, LtiException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LibRequest
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService
from werkzeug.wrappers import Request, Response

from tests.support.platform import LocalServer, new_rsa_key, pem

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
CONTEXT_ID = "independent-course-7"
CONTEXT_TITLE = "Interoperability 101"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass
class Person:
    user_id: str
    name: str
    email: str
    roles: list[str]


LEARNER_PERSON = Person("ind-learner-1", "Lee Learner", "lee@independent.example", [LEARNER])
INSTRUCTOR_PERSON = Person("ind-teacher-1", "Ines Instructor", "ines@independent.example", [INSTRUCTOR])
# Enrolled, but has never opened the tool: only the roster tells the tool about her.
QUIET_LEARNER = Person("ind-learner-2", "Quinn Quiet", "quinn@independent.example", [LEARNER])


@dataclass
class LineItemRecord:
    id: str
    label: str
    score_maximum: float
    resource_id: str = ""
    tag: str = ""
    resource_link_id: str = ""
    scores: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        body = {"id": self.id, "label": self.label, "scoreMaximum": self.score_maximum}
        for key, value in (("resourceId", self.resource_id), ("tag", self.tag), ("resourceLinkId", self.resource_link_id)):
            if value:
                body[key] = value
        return body


@dataclass
class PlannedLaunch:
    """What the platform will sign when the tool comes back with this lti_message_hint."""

    person: Person
    deep_linking: bool = False
    resource_link_id: str = ""
    title: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    line_item_id: str | None = None
    dl_data: dict[str, Any] | None = None


class _WerkzeugRequest(LibRequest):
    """lti1p3platform's request interface over a werkzeug request."""

    def build_metadata(self, request: Request):  # type: ignore[override]
        query: dict[str, Any] = request.args.to_dict()
        # lti1p3platform 0.1.8 computes the next page as `page + 1` on the raw query value.
        for number in ("page", "limit"):
            if number in query and query[number].isdigit():
                query[number] = int(query[number])
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": query,
            "headers": request.headers,
            "content_type": request.content_type,
            "path": request.path,
            "json": request.get_json(silent=True) if request.is_json or "json" in (request.content_type or "") else None,
        }


class _PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration  # type: ignore[return-value]


class _OIDCLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _MessageLaunch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        # lti1p3platform 0.1.8: its own template module imports pkg_resources; same form here.
        fields = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(str(launch_data[name]))}">'
            for name in ("id_token", "state")
        )
        body = f'<form method="post" action="{html.escape(launch_data["launch_url"])}" id="form">{fields}</form>'
        return Response(body, content_type="text/html")


class _Grades(AssignmentsGradesService):
    def __init__(self, request, platform_config, store: "IndependentPlatform", lineitems_url: str):
        super().__init__(request, platform_config, lineitems_url)
        self.store = store

    def _item(self, line_item_id: str) -> LineItemRecord:
        item = self.store.line_items.get(line_item_id)
        if item is None:
            raise LineItemNotFoundException(line_item_id)
        return item

    # lti1p3platform 0.1.8: query strings arrive as keyword arguments, untyped.
    def find_lineitems(self, page=1, limit=None, line_item_id=None, resource_link_id=None, resource_id=None, tag=None, **_):
        items = [
            item.as_json()
            for item in self.store.line_items.values()
            if (not resource_link_id or item.resource_link_id == resource_link_id)
            and (not resource_id or item.resource_id == resource_id)
            and (not tag or item.tag == tag)
        ]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str):
        return self._item(line_item_id).as_json()  # type: ignore[return-value]

    def create_lineitem(self, creation_data):
        item = self.store.add_line_item(
            label=creation_data.get("label", ""),
            score_maximum=creation_data.get("scoreMaximum", 0),
            resource_id=creation_data.get("resourceId", ""),
            tag=creation_data.get("tag", ""),
            resource_link_id=creation_data.get("resourceLinkId", ""),
        )
        return item.as_json()  # type: ignore[return-value]

    def update_lineitem(self, update_data):
        item = self._item(str(update_data["id"]))
        item.label = update_data.get("label", item.label)
        return item.as_json()  # type: ignore[return-value]

    def delete_lineitem(self, line_item_id: str) -> None:
        self.store.line_items.pop(self._item(line_item_id).id)

    def update_score(self, line_item_id: str, score) -> UpdateScoreStatus:
        item = self._item(line_item_id)
        timestamps = [s.get("timestamp", "") for s in item.scores if s.get("userId") == score.get("userId")]
        if timestamps and str(score.get("timestamp", "")) <= max(timestamps):
            return UpdateScoreStatus.OLD_TIMESTAMP
        item.scores.append(dict(score))
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id: str, page=1, limit=None, user_id=None, **_):
        item = self._item(line_item_id)
        latest: dict[str, dict[str, Any]] = {}
        for score in item.scores:
            latest[score["userId"]] = score
        results = [
            {
                "id": f"{self.store.line_item_url(item.id)}/results/{user}",
                "userId": user,
                "resultScore": score.get("scoreGiven"),
                "resultMaximum": score.get("scoreMaximum"),
                "scoreOf": self.store.line_item_url(item.id),
            }
            for user, score in latest.items()
            if not user_id or user == user_id
        ]
        return {"content": results, "has_next": False, "next": None}


class _Roster(NamesRoleProvisioningService):
    def __init__(self, request, platform_config, store: "IndependentPlatform", memberships_url: str):
        super().__init__(request, platform_config, memberships_url)
        self.store = store

    # lti1p3platform 0.1.8: every query parameter (rlid, page, limit) arrives here as text.
    def get_member_data_page(self, page=1, limit=None, role=None, since=None, **_):
        members = [
            {"user_id": p.user_id, "name": p.name, "email": p.email, "roles": list(p.roles), "status": "Active"}
            for p in self.store.people
            if not role or any(r.endswith(role) or r == role for r in p.roles)
        ]
        page, size = int(page), int(limit) if limit else len(members) or 1
        start = (page - 1) * size
        return {"content": members[start : start + size], "has_next": start + size < len(members), "next": None}

    def get_context_by_id(self) -> Context:
        return Context(id=CONTEXT_ID, label="INT101", title=CONTEXT_TITLE)

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        return resource_link_id in self.store.resource_links


class IndependentPlatform:
    """An lti1p3platform platform on 127.0.0.1, registered with one tool."""

    __test__ = False

    def __init__(self, tool_base_url: str, client_id: str = "independent-client", deployment_id: str = "independent-1"):
        self.tool_base_url = tool_base_url.rstrip("/")
        self.client_id = client_id
        self.deployment_id = deployment_id
        key = new_rsa_key()
        self.private_pem = pem(key)
        self.public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        self.server = LocalServer(self._handle)
        self.issuer = self.server.base_url
        self.people = [LEARNER_PERSON, INSTRUCTOR_PERSON, QUIET_LEARNER]
        # With a page size, the launch's memberships URL asks lti1p3platform to page the roster.
        self.roster_page_size: int | None = None
        self.line_items: dict[str, LineItemRecord] = {}
        self.resource_links: set[str] = set()
        self.planned: dict[str, PlannedLaunch] = {}
        self.deep_link_returns: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "IndependentPlatform":
        self.server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)

    # --- URLs the tool is told about ------------------------------------------------------

    @property
    def auth_login_url(self) -> str:
        return self.issuer + "/auth"

    @property
    def token_url(self) -> str:
        return self.issuer + "/token"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks"

    @property
    def deep_link_return_url(self) -> str:
        return self.issuer + "/deep-link-return"

    @property
    def lineitems_url(self) -> str:
        return self.issuer + "/ags/lineitems"

    def line_item_url(self, line_item_id: str) -> str:
        return f"{self.lineitems_url}/{line_item_id}"

    @property
    def memberships_url(self) -> str:
        return self.issuer + "/nrps/memberships"

    @property
    def advertised_memberships_url(self) -> str:
        return self.memberships_url + (f"?limit={self.roster_page_size}" if self.roster_page_size else "")

    # --- lti1p3platform objects -----------------------------------------------------------

    def registration(self) -> Registration:
        return (
            Registration()
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(self.tool_base_url + "/lti/login")
            .set_launch_url(self.tool_base_url + "/lti/launch")
            .set_deeplink_launch_url(self.tool_base_url + "/lti/launch")
            .set_tool_key_set_url(self.tool_base_url + "/lti/jwks")
            .set_platform_private_key(self.private_pem)
            .set_platform_public_key(self.public_pem)
        )

    def conf(self) -> _PlatformConf:
        # lti1p3platform 0.1.8 caches the tool key set on the registration for ever: a fresh
        # registration per request keeps the tool's key rotation visible.
        return _PlatformConf(registration=self.registration())

    def register_in(self, session):
        """Register this platform in the tool through its own service function (`platform add`)."""
        from lti_tool.lti.platforms import PlatformInput, add_platform

        platform = add_platform(
            session,
            PlatformInput(
                issuer=self.issuer,
                client_id=self.client_id,
                auth_login_url=self.auth_login_url,
                auth_token_url=self.token_url,
                key_set_url=self.jwks_url,
                deployment_ids=[self.deployment_id],
                name="lti1p3platform",
            ),
        )
        session.commit()
        return platform

    # --- arranging launches ---------------------------------------------------------------

    def add_line_item(self, *, label: str, score_maximum: float, resource_id: str = "", tag: str = "", resource_link_id: str = "") -> LineItemRecord:
        with self._lock:
            item = LineItemRecord(
                id=str(len(self.line_items) + 1),
                label=label,
                score_maximum=score_maximum,
                resource_id=resource_id,
                tag=tag,
                resource_link_id=resource_link_id,
            )
            self.line_items[item.id] = item
        return item

    def login_initiation_url(self, launch: PlannedLaunch) -> str:
        """The third-party initiated login URL lti1p3platform builds for this launch."""
        hint = "hint-" + secrets.token_urlsafe(12)
        self.planned[hint] = launch
        if launch.resource_link_id:
            self.resource_links.add(launch.resource_link_id)
        login = _OIDCLogin(None, self.conf())
        login.set_lti_message_hint(hint=hint)
        if launch.deep_linking:
            login.set_deeplinking_launch_url()
        return login.initiate_login(launch.person.user_id)

    def _signed_launch(self, request: Request) -> Response:
        hint = request.values.get("lti_message_hint", "")
        planned = self.planned.get(hint)
        if planned is None or request.values.get("login_hint") != planned.person.user_id:
            return Response("unknown launch", status=400)
        launch = _MessageLaunch(_WerkzeugRequest(request), self.conf())
        person = planned.person
        launch.set_user_data(person.user_id, person.roles, full_name=person.name, email_address=person.email)
        launch.set_launch_context_claim(CONTEXT_ID, ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"], CONTEXT_TITLE, "INT101")
        launch.set_nrps(self.advertised_memberships_url)
        if planned.deep_linking:
            launch.set_ags(self.lineitems_url)
            launch.set_dl(self.deep_link_return_url, title=CONTEXT_TITLE, accept_types={"ltiResourceLink"}, extra_data=planned.dl_data)
        else:
            launch.set_resource_link_claim(planned.resource_link_id, title=planned.title or None)
            line_item = self.line_item_url(planned.line_item_id) if planned.line_item_id else None
            launch.set_ags(self.lineitems_url, line_item)
            if planned.custom:
                launch.set_custom_parameters_claim(planned.custom)
        try:
            return launch.lti_launch()
        except Exception as exc:  # the library raises bare assertion-style errors
            return Response(f"launch refused by lti1p3platform: {exc!r}", status=400)

    # --- endpoints ------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        path = request.path
        if path == "/jwks":
            conf = self.conf()
            conf.get_registration()
            return _json(conf.get_jwks())
        if path == "/auth":
            return self._signed_launch(request)
        if path == "/token" and request.method == "POST":
            return self._token(request)
        if path == "/deep-link-return" and request.method == "POST":
            return self._deep_link_return(request)
        if path.startswith("/ags/lineitems"):
            return self._ags(request)
        if path == "/nrps/memberships":
            return self._nrps(request)
        return Response("not found", status=404)

    def _token(self, request: Request) -> Response:
        conf = self.conf()
        conf.get_registration()
        form = request.form.to_dict()
        self.token_requests.append(form)
        try:
            answer = conf.get_access_token(form)
            # lti1p3platform 0.1.8 does not check the assertion's audience or subject.
            claims = jwt.decode(
                form["client_assertion"], conf.get_tool_public_key(), algorithms=["RS256"], audience=self.token_url
            )
            if claims.get("sub") != self.client_id or claims.get("iss") != self.client_id:
                raise LtiException("client assertion is not from our client id")
        except (LtiException, jwt.InvalidTokenError, KeyError) as exc:
            return _json({"error": "invalid_client", "error_description": str(exc)}, status=401)
        except Exception as exc:  # MissingRequiredClaim, UnsupportedGrantType
            return _json({"error": "invalid_request", "error_description": type(exc).__name__}, status=400)
        return _json(answer)

    def _deep_link_return(self, request: Request) -> Response:
        conf = self.conf()
        conf.get_registration()
        form = request.form.to_dict()
        try:
            items = conf.validate_deeplinking_resp(form)
            # lti1p3platform 0.1.8 verifies the signature only; check aud, iss and exp too.
            claims = jwt.decode(
                form["JWT"],
                conf.get_tool_public_key(),
                algorithms=["RS256"],
                audience=self.issuer,
                issuer=self.client_id,
                options={"require": ["exp", "iat", "nonce"]},
            )
        except Exception as exc:
            self.deep_link_returns.append({"error": repr(exc)})
            return Response(f"deep linking response refused: {exc!r}", status=400)
        self.deep_link_returns.append({"items": items, "claims": claims})
        return Response("<p>Items added</p>", content_type="text/html")

    def _ags(self, request: Request) -> Response:
        conf = self.conf()
        conf.get_registration()
        service = _Grades(_WerkzeugRequest(request), conf, self, self.lineitems_url)
        rest = request.path[len("/ags/lineitems") :].strip("/").split("/")
        if rest == [""]:
            handler = service.handle_get_lineitems if request.method == "GET" else service.handle_create_lineitem
            return _service_response(service.handle_resp(handler))
        line_item_id = rest[0]
        if len(rest) == 2 and rest[1] == "scores":
            return _service_response(service.handle_resp(service.handle_update_score, line_item_id=line_item_id))
        if len(rest) == 2 and rest[1] == "results":
            return _service_response(service.handle_resp(service.handle_get_results, line_item_id=line_item_id))
        handlers = {"GET": service.handle_get_lineitem, "PUT": service.handle_update_lineitem, "DELETE": service.handle_delete_lineitem}
        handler = handlers.get(request.method)
        if handler is None:
            return Response(status=405)
        return _service_response(service.handle_resp(handler, line_item_id=line_item_id))

    def _nrps(self, request: Request) -> Response:
        conf = self.conf()
        conf.get_registration()
        service = _Roster(_WerkzeugRequest(request), conf, self, self.memberships_url)
        return _service_response(service.handle_resp(service.handle_get_members))

    # --- what the platform received -------------------------------------------------------

    def scores_for(self, line_item_id: str) -> list[dict[str, Any]]:
        return list(self.line_items[line_item_id].scores)


def _json(body: Any, status: int = 200, media_type: str = "application/json") -> Response:
    return Response(json.dumps(body), status=status, content_type=media_type)


def _service_response(answer) -> Response:
    """lti1p3platform's Response as HTTP, the way its own Django adapter does it."""
    if not 200 <= answer.code < 300:
        return _json({"error": answer.message}, status=answer.code)
    if answer.result is None:
        return Response(status=answer.code)
    data = answer.result["content"] if isinstance(answer.result, dict) and "content" in answer.result else answer.result
    response = _json(data, status=answer.code, media_type=answer.media_type)
    if isinstance(answer.result, dict) and answer.result.get("next"):
        response.headers["Link"] = generate_next_link(answer.result["next"])
    return response


def form_fields(page: str, form_id: str | None = None) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of a form on an HTML page (the first one, or the one with this id)."""
    forms = re.findall(r"<form\b[^>]*>.*?</form>", page, re.S)
    chosen = [f for f in forms if form_id is None or f'id="{form_id}"' in f.split(">", 1)[0]]
    assert chosen, page[:2000]
    form = chosen[0]
    action = re.search(r'action="([^"]*)"', form.split(">", 1)[0])
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
    }
    return html.unescape(action.group(1)) if action else "", fields

