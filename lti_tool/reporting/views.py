"""The L&D view of one course: modules × learners, with status filter and CSV export."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lti_tool.db import get_session
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.people.models import Context
from lti_tool.policy import may_view_course
from lti_tool.reporting.completions import STATUSES, completion_rows, grade_sync_states, status_counts
from lti_tool.reporting.export import to_csv

bp = Blueprint("reporting", __name__)

STATUS_LABELS = {
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "passed": _l("Passed"),
    "failed": _l("Failed"),
}


GRADE_LABELS = {
    "pending": _l("grade waiting to be sent"),
    "delivered": _l("grade in the gradebook"),
    "failed": _l("grade could not be sent"),
}


def _course(context_pk: int) -> Context:
    session = get_session()
    context = session.get(Context, context_pk)
    if context is None or context.platform_id != current_user.platform_id:
        raise NotFoundError("no such course")
    if not may_view_course(session, current_user, context):
        raise ForbiddenError("only the course's instructors and administrators see its completions")
    return context


def _status_filter() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise NotFoundError("unknown status filter")
    return status


@bp.get("/courses/<int:context_pk>/completions")
@login_required
def completions(context_pk: int):
    context = _course(context_pk)
    status = _status_filter()
    session = get_session()
    rows = list(completion_rows(session, current_user.platform_id, context_id=context.id, status=status))
    modules: dict[str, str] = {}
    learners: dict[str, dict] = {}
    for row in rows:
        modules.setdefault(row.activity_id, row.module_title)
        learner = learners.setdefault(row.learner_sub, {"name": row.learner_name or row.learner_sub, "cells": {}})
        learner["cells"][row.activity_id] = row
    return render_template(
        "reporting/completions.html",
        context=context,
        modules=modules,
        learners=learners,
        counts=status_counts(session, current_user.platform_id, context_id=context.id),
        grade_states=grade_sync_states(session, current_user.platform_id, rows),
        grade_labels=GRADE_LABELS,
        statuses=STATUSES,
        status_labels=STATUS_LABELS,
        chosen_status=status,
    )


@bp.get("/courses/<int:context_pk>/completions.csv")
@login_required
def completions_csv(context_pk: int):
    context = _course(context_pk)
    rows = completion_rows(get_session(), current_user.platform_id, context_id=context.id, status=_status_filter())
    filename = f"completions-{context.context_id}.csv".replace('"', "")
    return Response(
        to_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/courses/<int:context_pk>/completions/roster")
@login_required
def refresh_roster(context_pk: int):
    """Read the course's participants from the platform (NRPS), so everyone who has not
    started yet is listed too."""
    from lti_tool.lti.nrps import RosterError, sync_context_roster
    from lti_tool.lti.service_client import ServiceError, client_for

    context = _course(context_pk)
    session = get_session()
    try:
        result = sync_context_roster(session, client_for(current_app), context)
    except (RosterError, ServiceError) as exc:
        session.rollback()
        flash(_("The participants could not be read from the learning environment: %(reason)s", reason=str(exc)))
    else:
        session.commit()
        flash(_("Participants updated from the learning environment (%(count)d added).", count=result.added))
    return redirect(url_for("reporting.completions", context_pk=context.id), 303)
