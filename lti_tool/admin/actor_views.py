"""Administrator pages for xAPI actors that are no learner: list them, link one to a learner, unlink."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lti_tool.db import get_session
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.formal_evidence import unmatched
from lti_tool.formal_evidence.actor_links import link_and_project, unlink_and_project
from lti_tool.formal_evidence.learners import ActorLinkError
from lti_tool.lti.models import Platform
from lti_tool.people.models import User
from lti_tool.policy import is_tool_admin
from lti_tool.search import SEARCH_MAX, page_number

bp = Blueprint("admin_actors", __name__, url_prefix="/admin/actors")

# The LRS's actor keys are 32 lower-case hex digits (xapi.statement_keys.value_key).
ACTOR_KEY = re.compile(r"[0-9a-f]{32}")
KIND_LABELS = {
    "mbox": _l("E-mail address"),
    "mbox_sha1sum": _l("E-mail address (hashed)"),
    "openid": _l("OpenID"),
    "account": _l("Account"),
    "unknown": _l("Unknown"),
}
SHOW_LABELS = {unmatched.UNMATCHED: _l("Not linked"), unmatched.LINKED: _l("Linked by an administrator")}


@bp.before_request
@login_required
def _administrators_only():
    if not is_tool_admin(current_user):
        raise ForbiddenError(_("Only administrators link statements to learners."))


def _actor_or_404(actor_key: str):
    """The administrator's own tenant's actor; anything else is simply not found."""
    if not ACTOR_KEY.fullmatch(actor_key):
        raise NotFoundError(_("There is no such actor."))
    known = unmatched.recorded_actor(get_session(), current_user.platform_id, actor_key)
    if known is None:
        raise NotFoundError(_("There is no such actor."))
    return known


@bp.get("")
def index():
    show = request.args.get("show", unmatched.UNMATCHED)
    if show not in SHOW_LABELS:
        show = unmatched.UNMATCHED
    search = request.args.get("q", "").strip()[:SEARCH_MAX]
    page = page_number(request.args.get("page"))
    result = unmatched.actor_page(get_session(), current_user.platform_id, which=show, search=search, page=page)
    return render_template(
        "admin/actors.html",
        result=result,
        show=show,
        search=search,
        show_labels=SHOW_LABELS,
        kind_labels=KIND_LABELS,
    )


@bp.get("/<actor_key>")
def detail(actor_key: str):
    known = _actor_or_404(actor_key)
    session = get_session()
    search = request.args.get("q")
    search = (search if search is not None else unmatched.search_hint(known.actor)).strip()[:SEARCH_MAX]
    linked_to = session.get(User, known.user_id) if known.user_id else None
    return render_template(
        "admin/actor.html",
        actor=known,
        ifi=unmatched.actor_ifi(known.actor),
        kind_labels=KIND_LABELS,
        linked_to=linked_to,
        search=search,
        people=unmatched.people_matching(session, current_user.platform_id, search) if search else [],
    )


@bp.post("/<actor_key>/link")
def link(actor_key: str):
    known = _actor_or_404(actor_key)
    session = get_session()
    raw = request.form.get("user_id", "")
    learner = session.get(User, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    if learner is None or learner.platform_id != current_user.platform_id:
        raise NotFoundError(_("There is no such person on your platform."))
    try:
        result = link_and_project(
            session, session.get(Platform, current_user.platform_id), known.actor_key, learner, linked_by=current_user
        )
    except ActorLinkError as exc:
        session.rollback()
        flash(str(exc))
        return redirect(url_for("admin_actors.detail", actor_key=actor_key), 303)
    session.commit()
    flash(
        _(
            "Linked to %(name)s: %(count)d formal evidence item(s) now in their portfolio.",
            name=result.learner.display_name,
            count=result.evidence,
        )
    )
    return redirect(url_for("admin_actors.index"), 303)


@bp.post("/<actor_key>/unlink")
def unlink(actor_key: str):
    known = _actor_or_404(actor_key)
    session = get_session()
    try:
        result = unlink_and_project(session, session.get(Platform, current_user.platform_id), known.actor_key)
    except ActorLinkError as exc:
        session.rollback()
        flash(str(exc))
        return redirect(url_for("admin_actors.detail", actor_key=actor_key), 303)
    session.commit()
    flash(_("The link to %(name)s is undone; their evidence no longer counts these statements.", name=result.learner.display_name))
    return redirect(url_for("admin_actors.index", show=unmatched.LINKED), 303)
