"""The L&D view of one course: modules × learners, with status filter and CSV export."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lti_tool.db import get_session, session_factory
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.people.models import Context
from lti_tool.policy import may_view_course
from lti_tool.reporting.completions import (
    STATUSES,
    completion_rows,
    grade_sync_states,
    learner_page,
    placed_modules,
    status_counts,
)
from lti_tool.reporting.export import csv_lines
from lti_tool.search import SEARCH_MAX, page_number

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


def _translated(labels: dict) -> dict[str, str]:
    """Labels translated once per page: a lazy string is translated anew every time it is shown,
    and the table shows one per cell (2,000 on a page of 50 learners x 40 modules)."""
    return {key: str(label) for key, label in labels.items()}


def _module_filter(modules: dict[str, str]) -> str | None:
    activity_id = request.args.get("module") or None
    if activity_id is not None and activity_id not in modules:
        raise NotFoundError("no such module in this course")
    return activity_id


@bp.get("/courses/<int:context_pk>/completions")
@login_required
def completions(context_pk: int):
    context = _course(context_pk)
    session = get_session()
    platform_id = current_user.platform_id
    modules = dict(placed_modules(session, platform_id, context.id))
    status = _status_filter()
    activity_id = _module_filter(modules)
    search = request.args.get("q", "").strip()[:SEARCH_MAX]
    page = learner_page(
        session, platform_id, context.id, search=search or None, status=status, activity_id=activity_id,
        page=page_number(request.args.get("page")),
    )
    rows = list(completion_rows(session, platform_id, context_id=context.id, user_ids=page.user_ids)) if page.user_ids else []
    learners: dict[str, dict] = {}
    for row in rows:
        learner = learners.setdefault(row.learner_sub, {"name": row.learner_name or row.learner_sub, "cells": {}})
        learner["cells"][row.activity_id] = row
    return render_template(
        "reporting/completions.html",
        context=context,
        modules=modules,
        learners=learners,
        page=page,
        grade_states=grade_sync_states(session, platform_id, rows),
        grade_labels=_translated(GRADE_LABELS),
        statuses=STATUSES,
        status_labels=_translated(STATUS_LABELS),
        chosen_status=status,
        chosen_module=activity_id,
        search=search,
    )


@bp.get("/courses/<int:context_pk>/completions/summary")
@login_required
def completion_summary(context_pk: int):
    """Per module: how many learners are in each status. Its own page: it reads the whole course."""
    context = _course(context_pk)
    session = get_session()
    return render_template(
        "reporting/summary.html",
        context=context,
        modules=dict(placed_modules(session, current_user.platform_id, context.id)),
        counts=status_counts(session, current_user.platform_id, context_id=context.id),
        statuses=STATUSES,
        status_labels=STATUS_LABELS,
    )


@bp.get("/courses/<int:context_pk>/completions.csv")
@login_required
def completions_csv(context_pk: int):
    context = _course(context_pk)
    session = get_session()
    modules = dict(placed_modules(session, current_user.platform_id, context.id))
    filters = {"context_id": context.id, "status": _status_filter(), "activity_id": _module_filter(modules)}
    filename = f"completions-{context.context_id}.csv".replace('"', "")
    return Response(
        _streamed_csv(current_app._get_current_object(), current_user.platform_id, filters),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _streamed_csv(app, platform_id: int, filters: dict) -> Iterator[str]:
    """The CSV, a thousand rows at a time as the database returns them: a course of 5,000
    learners x 40 modules is 26 MB, which should not sit in a worker's memory.

    Its own session, closed when the rows run out or the server closes the response: the
    request's session is gone by the time a streamed body is read."""
    session = session_factory(app)()
    try:
        yield from csv_lines(completion_rows(session, platform_id, **filters))
    finally:
        session.close()


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
