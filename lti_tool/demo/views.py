"""The demo platform's pages and endpoints: the course page, OIDC auth, token, AGS, NRPS, deep linking."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from lti_tool import current_settings
from lti_tool.db import get_session
from lti_tool.demo import ags, deep_linking, gradebook, nrps, oauth, people, registration
from lti_tool.demo import auth as demo_auth
from lti_tool.demo import course as course_page
from lti_tool.demo.errors import DemoError, DemoServiceError
from lti_tool.demo.models import DEEP_LINKING, DemoPlatform
from lti_tool.errors import NotFoundError
from lti_tool.lti import claims
from lti_tool.security import csrf

bp = Blueprint("demo", __name__, url_prefix="/demo")
# Platform endpoints: the tool's frame and the tool's server post here, not our own forms.
csrf.exempt(bp)


@bp.errorhandler(DemoServiceError)
def service_error(exc: DemoServiceError):
    get_session().rollback()
    if exc.oauth_error:
        # RFC 6749, 5.2: token endpoint errors.
        return jsonify(error=exc.oauth_error, error_description=exc.message), exc.status
    response = jsonify(error=exc.message)
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


@bp.errorhandler(DemoError)
def demo_error(exc: DemoError):
    get_session().rollback()
    return render_template("demo/problem.html", reason=str(exc)), exc.status


def _demo() -> DemoPlatform:
    demo = registration.find_demo_platform(get_session(), current_settings().url("/demo"))
    if demo is None:
        raise NotFoundError(_("The demo platform is not set up yet: open the demo course page first."))
    return demo


def _json(body, media_type: str, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.mimetype = media_type
    return response


def _payload():
    return request.get_json(force=True, silent=True)


@bp.route("")
def course():
    settings = current_settings()
    db = get_session()
    try:
        demo = registration.ensure_demo_platform(db, settings)
        db.commit()
    except IntegrityError:
        # Another worker created it at the same moment: use theirs.
        db.rollback()
        demo = _demo()
    items = course_page.course_items(db, demo)
    built_in = course_page.built_in_item(db, demo)
    by_key = people.PEOPLE_BY_KEY
    common = {
        "locale": str(get_locale() or settings.default_locale),
        "secret": settings.secret_key,
        "login_url": settings.url("/lti/login"),
        "launch_url": settings.url("/lti/launch"),
    }
    main_buttons = [
        course_page.launch_button(demo, label=_("Launch as learner (Sam Student)"), person=by_key["learner"], message=course_page.RESOURCE, item=built_in, **common),
        course_page.launch_button(demo, label=_("Launch as instructor (Terry Teacher)"), person=by_key["instructor"], message=course_page.RESOURCE, item=built_in, **common),
        course_page.launch_button(demo, label=_("Launch as L&D administrator"), person=by_key["admin"], message=course_page.RESOURCE, item=built_in, **common),
    ]
    deep_link_button = course_page.launch_button(
        demo, label=_("Add activity (deep linking)"), person=by_key["instructor"], message=course_page.DEEP_LINK, item=None, secondary=True, **common
    )
    item_buttons = {
        item.id: [
            course_page.launch_button(demo, label=_("Launch as learner"), person=by_key["learner"], message=course_page.RESOURCE, item=item, secondary=True, **common),
            course_page.launch_button(demo, label=_("Launch as instructor"), person=by_key["instructor"], message=course_page.RESOURCE, item=item, secondary=True, **common),
        ]
        for item in items
        if item.source == DEEP_LINKING
    }
    return render_template(
        "demo/course.html",
        demo=demo,
        context=people.DEMO_CONTEXT,
        built_in=built_in,
        main_buttons=main_buttons,
        deep_link_button=deep_link_button,
        items=[item for item in items if item.source == DEEP_LINKING],
        item_buttons=item_buttons,
        gradebook=gradebook.gradebook(db, demo),
        shown_grade=gradebook.shown_grade,
        roster=[person for person in people.DEMO_PEOPLE if person.enrolled],
    )


@bp.route("/frame")
def frame():
    return render_template("demo/frame.html")


@bp.route("/auth", methods=["GET", "POST"])
def auth():
    settings = current_settings()
    db = get_session()
    source = request.form if request.method == "POST" else request.args
    params = {key: value for key, value in source.items() if isinstance(value, str)}
    answer = demo_auth.authorize(
        db,
        _demo(),
        params,
        secret=settings.secret_key,
        launch_url=settings.url("/lti/launch"),
        base_url=settings.base_url,
    )
    db.commit()
    return render_template("demo/auth_post.html", answer=answer)


@bp.route("/token", methods=["POST"])
def token():
    db = get_session()
    form = {key: value for key, value in request.form.items() if isinstance(value, str)}
    answer = oauth.issue_access_token(db, _demo(), form, token_url=current_settings().url("/demo/token"))
    db.commit()
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/ags/lineitems", methods=["GET", "POST"])
def line_items():
    settings = current_settings()
    db = get_session()
    demo = _demo()
    authorization = request.headers.get("Authorization")
    if request.method == "POST":
        oauth.require_scope(db, demo, authorization, claims.SCOPE_LINEITEM)
        item = ags.create_line_item(db, demo, _payload())
        db.commit()
        return _json(ags.line_item_json(item, settings.base_url), ags.LINEITEM_MEDIA_TYPE, 201)
    oauth.require_scope(
        db, demo, authorization, claims.SCOPE_LINEITEM, claims.SCOPE_LINEITEM_READONLY
    )
    found = ags.list_line_items(
        db,
        demo,
        resource_link_id=request.args.get("resource_link_id"),
        resource_id=request.args.get("resource_id"),
        tag=request.args.get("tag"),
    )
    return _json([ags.line_item_json(i, settings.base_url) for i in found], ags.LINEITEMS_MEDIA_TYPE)


@bp.route("/ags/lineitems/<int:line_item_id>/lineitem", methods=["GET", "PUT", "DELETE"])
def line_item(line_item_id: int):
    settings = current_settings()
    db = get_session()
    demo = _demo()
    authorization = request.headers.get("Authorization")
    if request.method == "GET":
        oauth.require_scope(
            db, demo, authorization, claims.SCOPE_LINEITEM, claims.SCOPE_LINEITEM_READONLY
        )
        item = ags.get_line_item(db, demo, line_item_id)
        return _json(ags.line_item_json(item, settings.base_url), ags.LINEITEM_MEDIA_TYPE)
    oauth.require_scope(db, demo, authorization, claims.SCOPE_LINEITEM)
    if request.method == "DELETE":
        ags.delete_line_item(db, demo, line_item_id)
        db.commit()
        return Response(status=204)
    item = ags.update_line_item(db, demo, line_item_id, _payload())
    db.commit()
    return _json(ags.line_item_json(item, settings.base_url), ags.LINEITEM_MEDIA_TYPE)


@bp.route("/ags/lineitems/<int:line_item_id>/lineitem/scores", methods=["POST"])
def scores(line_item_id: int):
    db = get_session()
    demo = _demo()
    oauth.require_scope(db, demo, request.headers.get("Authorization"), claims.SCOPE_SCORE)
    ags.record_score(db, demo, line_item_id, _payload())
    db.commit()
    return Response(status=204)


@bp.route("/ags/lineitems/<int:line_item_id>/lineitem/results", methods=["GET"])
def results(line_item_id: int):
    db = get_session()
    demo = _demo()
    oauth.require_scope(db, demo, request.headers.get("Authorization"), claims.SCOPE_RESULT_READONLY)
    body = ags.results_json(db, demo, line_item_id, current_settings().base_url, request.args.get("user_id"))
    return _json(body, ags.RESULTS_MEDIA_TYPE)


@bp.route("/nrps/memberships")
def nrps_memberships():
    db = get_session()
    demo = _demo()
    oauth.require_scope(db, demo, request.headers.get("Authorization"), claims.SCOPE_NRPS)
    limit = request.args.get("limit", type=int)
    offset = request.args.get("offset", default=0, type=int)
    page = nrps.memberships(
        current_settings().base_url,
        role=request.args.get("role"),
        limit=limit if limit and limit > 0 else None,
        offset=max(offset or 0, 0),
    )
    response = _json(page.body, nrps.MEMBERSHIP_MEDIA_TYPE)
    if page.next_url:
        # NRPS 2.0, 2.4.1: the next page is announced in a Link header.
        response.headers["Link"] = f'<{page.next_url}>; rel="next"'
    return response


@bp.route("/deep-link-return", methods=["POST"])
def deep_link_return():
    db = get_session()
    created = deep_linking.accept_deep_link_response(db, _demo(), request.args.get("request"), request.form.get("JWT"))
    db.commit()
    return render_template("demo/deep_link_done.html", created=created)
