"""LTI endpoints: login initiation, launch, session hand-off, JWKS and the configuration page."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from lti_tool import current_settings
from lti_tool.db import get_session, session_factory
from lti_tool.errors import LaunchError
from lti_tool.lti import keys
from lti_tool.lti.handoff import issue_ticket, redeem_ticket
from lti_tool.lti.login import start_login
from lti_tool.lti.services import handle_launch
from lti_tool.people.models import User

bp = Blueprint("lti", __name__, url_prefix="/lti")


def _params() -> dict[str, str]:
    source = request.form if request.method == "POST" else request.args
    return {key: value for key, value in source.items() if isinstance(value, str)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    settings = current_settings()
    db = get_session()
    redirect_to = start_login(
        db, _params(), launch_url=settings.url("/lti/launch"), base_url=settings.base_url
    )
    db.commit()
    if redirect_to.storage_target:
        # LTI client-side storage: keep state and nonce in the platform's frame too.
        return render_template("lti/login_storage.html", login=redirect_to)
    return redirect(redirect_to.url, code=302)


@bp.route("/launch", methods=["POST"])
def launch():
    settings = current_settings()
    db = get_session()
    result = handle_launch(db, settings, session_factory())
    db.commit()
    if result.storage_target:
        return render_template("lti/launch_storage.html", result=result)
    return redirect(url_for("lti.enter", ticket=result.ticket), code=302)


@bp.route("/enter/<ticket>", methods=["GET", "POST"])
def enter(ticket: str):
    settings = current_settings()
    db = get_session()
    redeemed = redeem_ticket(
        db, ticket, settings.lti_session_ticket_ttl, storage_state=request.form.get("storage_state")
    )
    if redeemed is None:
        raise LaunchError("session ticket unknown, used or expired")
    person = db.get(User, redeemed.user_id)
    session.clear()
    session.permanent = True
    login_user(person)
    session["launch_id"] = redeemed.launch_id
    if person.locale:
        session["locale"] = person.locale
    # A second ticket, for a new window when this frame turns out to have no cookies.
    spare = issue_ticket(db, user_id=person.id, launch_id=redeemed.launch_id, next_path=redeemed.next_path)
    db.commit()
    return render_template("lti/enter.html", next_path=redeemed.next_path, spare_ticket=spare)


@bp.route("/session")
def session_check():
    """Tell the hand-off page whether our session cookie came back."""
    return jsonify(signed_in=bool(current_user.is_authenticated)), (200 if current_user.is_authenticated else 401)


@bp.route("/jwks")
def jwks():
    db = get_session()
    keys.ensure_signing_key(db)
    db.commit()
    response = jsonify(keys.public_jwks(db))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/config")
def config():
    settings = current_settings()
    db = get_session()
    signing = keys.ensure_signing_key(db)
    db.commit()
    return render_template("lti/config.html", settings=settings, signing=signing)
