"""Administrator page for LRS credentials: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lti_tool.db import get_session
from lti_tool.errors import ForbiddenError
from lti_tool.policy import is_tool_admin

bp = Blueprint("admin_lrs", __name__, url_prefix="/admin/lrs")


@bp.before_request
@login_required
def _administrators_only():
    if not is_tool_admin(current_user):
        raise ForbiddenError(_("Only administrators manage LRS credentials."))


def _page(new_credential=None, error: str | None = None, status: int = 200):
    from xapi.auth import SCOPES
    from xapi.credentials import DEFAULT_SCOPES, describe_credential, list_credentials

    # Every query is scoped to the administrator's own platform (tenant).
    rows = [describe_credential(record) for record in list_credentials(get_session(), current_user.platform_id)]
    return (
        render_template(
            "admin/lrs_credentials.html",
            credentials=rows,
            scopes=SCOPES,
            default_scopes=DEFAULT_SCOPES,
            new_credential=new_credential,
            error=error,
            endpoint=url_for("xapi.get_statements", _external=True).rsplit("statements", 1)[0],
        ),
        status,
    )


@bp.get("/credentials")
def credentials():
    return _page()


@bp.post("/credentials")
def create():
    from xapi.auth import credential_pepper
    from xapi.credentials import CredentialError, create_credential

    session = get_session()
    try:
        created = create_credential(
            session,
            tenant_id=current_user.platform_id,
            name=request.form.get("name", ""),
            scopes=request.form.getlist("scope"),
            pepper=credential_pepper(),
        )
    except CredentialError as exc:
        session.rollback()
        return _page(error=str(exc), status=400)
    session.commit()
    # The secret exists only in this response: never stored, never put in a redirect or flash.
    return _page(new_credential=created)


@bp.post("/credentials/<key>/revoke")
def revoke(key: str):
    from xapi.credentials import CredentialError, revoke_credential

    session = get_session()
    try:
        revoke_credential(session, key, tenant_id=current_user.platform_id)
    except CredentialError:
        abort(404)
    session.commit()
    flash(_("The credential has been revoked; requests with it are refused from now on."))
    return redirect(url_for("admin_lrs.credentials"))
