"""Deep Linking picker: /lti/deep-link/<launch_id>, where an instructor chooses what to place."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lti_tool import current_settings
from lti_tool.db import get_session
from lti_tool.lti import deep_linking
from lti_tool.lti.deep_linking import AlreadyAnsweredError, Choice, DeepLinkingError

bp = Blueprint("lti_deep_link", __name__, url_prefix="/lti")


@bp.errorhandler(AlreadyAnsweredError)
def already_answered(exc: AlreadyAnsweredError):
    # The app's generic page for other codes says "our side"; this one is the person's next step.
    get_session().rollback()
    return render_template("errors/400.html", message=str(exc)), exc.status


def _choices(dl_request: deep_linking.DeepLinkRequest) -> list[Choice]:
    if request.form.get("action") == "cancel":
        return []
    keys = request.form.getlist("item")
    return [
        Choice(
            offer_key=key,
            title=request.form.get(f"title-{key}", ""),
            prompt=request.form.get(f"prompt-{key}", ""),
            score_maximum=request.form.get(f"score-maximum-{key}", ""),
        )
        for key in keys
    ]


def _picker(dl_request, *, error: str | None = None, status: int = 200):
    offers = deep_linking.offers_for(get_session(), dl_request)
    page = render_template(
        "lti/deep_link.html", dl=dl_request, offers=offers, error=error, form=request.form
    )
    return page, status


@bp.route("/deep-link/<launch_id>", methods=["GET"])
@login_required
def picker(launch_id: str):
    return _picker(deep_linking.load_request(get_session(), launch_id, current_user.id))


@bp.route("/deep-link/<launch_id>", methods=["POST"])
@login_required
def respond(launch_id: str):
    db = get_session()
    dl_request = deep_linking.load_request(db, launch_id, current_user.id)
    choices = _choices(dl_request)
    if not choices and request.form.get("action") != "cancel":
        return _picker(dl_request, error=_("Choose at least one item, or cancel."), status=400)
    try:
        response = deep_linking.build_response(
            db,
            dl_request,
            choices,
            base_url=current_settings().base_url,
            presentation=request.form.get("presentation", ""),
        )
    except DeepLinkingError as exc:
        db.rollback()
        return _picker(dl_request, error=str(exc), status=400)
    db.commit()
    return render_template("lti/deep_link_return.html", response=response)
