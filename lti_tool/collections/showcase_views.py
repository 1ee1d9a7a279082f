"""Showcase pages: for the owner and granted coaches, and for anyone holding the secret link."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lti_tool.collections import showcase
from lti_tool.collections.files import current_file_store, send_stored
from lti_tool.collections.models import Collection
from lti_tool.collections.present import field_labels, live_entries
from lti_tool.collections.printing import pdf_response
from lti_tool.collections.services import CollectionError, shown_items
from lti_tool.db import get_session
from lti_tool.people.models import User
from lti_tool.policy import may_comment_showcase, owns
from lti_tool.portfolio.models import Portfolio

bp = Blueprint("showcase", __name__, url_prefix="/showcase")

# Showcases are personal: never in search engines, never announced by a Referer header.
PRIVATE_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _with_private_headers(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


def render_showcase(collection: Collection, *, token: str | None = None, error: str | None = None, status: int = 200):
    """The showcase page; file and PDF links stay within the way it was opened."""
    db = get_session()
    if token is not None:
        file_url = lambda f: url_for("showcase.link_file", token=token, file_id=f.id)  # noqa: E731
        thumb_url = lambda f: url_for("showcase.link_file", token=token, file_id=f.id, thumb=1)  # noqa: E731
        pdf_url = url_for("showcase.link_pdf", token=token)
    else:
        file_url = lambda f: url_for("showcase.view_file", collection_id=collection.id, file_id=f.id)  # noqa: E731
        thumb_url = lambda f: url_for("showcase.view_file", collection_id=collection.id, file_id=f.id, thumb=1)  # noqa: E731
        pdf_url = url_for("showcase.view_pdf", collection_id=collection.id)
    signed_in = token is None and current_user.is_authenticated
    is_owner = signed_in and owns(db, current_user, collection)
    owner = db.get(User, db.get(Portfolio, collection.portfolio_id).owner_id)
    page = render_template(
        "showcase/page.html",
        collection=collection,
        owner=owner,
        entries=live_entries(shown_items(db, collection), file_url, thumb_url),
        pdf_url=pdf_url,
        field_labels=field_labels(),
        is_owner=is_owner,
        # Comments are for the owner and coaches, never on the public link.
        comments=showcase.showcase_comments(db, collection) if signed_in else [],
        may_comment=signed_in and may_comment_showcase(db, current_user, collection),
        error=error,
    )
    return _with_private_headers(Response(page, status=status, mimetype="text/html"))


def _file(collection: Collection, file_id: int) -> Response:
    stored = showcase.showcase_file(get_session(), collection, file_id)
    if request.args.get("thumb") and stored.thumbnail_key:
        response = send_stored(current_file_store(), stored.thumbnail_key, "thumbnail-" + stored.original_name, "image/jpeg")
    else:
        response = send_stored(current_file_store(), stored.storage_key, stored.original_name, stored.content_type)
    return _with_private_headers(response)


@bp.route("/s/<token>")
def by_link(token: str):
    return render_showcase(showcase.collection_by_token(get_session(), token), token=token)


@bp.route("/s/<token>/files/<int:file_id>")
def link_file(token: str, file_id: int):
    return _file(showcase.collection_by_token(get_session(), token), file_id)


@bp.route("/s/<token>/pdf")
def link_pdf(token: str):
    return _with_private_headers(pdf_response(showcase.collection_by_token(get_session(), token)))


@bp.route("/<int:collection_id>")
@login_required
def view(collection_id: int):
    return render_showcase(showcase.viewable_showcase(get_session(), current_user, collection_id))


@bp.route("/<int:collection_id>/files/<int:file_id>")
@login_required
def view_file(collection_id: int, file_id: int):
    return _file(showcase.viewable_showcase(get_session(), current_user, collection_id), file_id)


@bp.route("/<int:collection_id>/pdf")
@login_required
def view_pdf(collection_id: int):
    return _with_private_headers(pdf_response(showcase.viewable_showcase(get_session(), current_user, collection_id)))


@bp.route("/<int:collection_id>/comments", methods=["POST"])
@login_required
def comment(collection_id: int):
    db = get_session()
    collection = showcase.viewable_showcase(db, current_user, collection_id)
    try:
        showcase.comment_on_showcase(db, current_user, collection, request.form.get("body", ""))
    except CollectionError as exc:
        db.rollback()
        return render_showcase(showcase.viewable_showcase(db, current_user, collection_id), error=str(exc), status=400)
    db.commit()
    flash(_("Your comment was added."))
    return redirect(url_for("showcase.view", collection_id=collection_id) + "#comments")
