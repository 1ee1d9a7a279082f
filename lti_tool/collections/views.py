"""The learner's collection pages: list, build (add, remove, reorder), publish, PDF."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from lti_tool.collections import services, showcase
from lti_tool.collections.forms import CollectionForm
from lti_tool.collections.models import Submission
from lti_tool.collections.printing import pdf_response
from lti_tool.collections.services import CollectionError
from lti_tool.db import get_session
from lti_tool.portfolio.ownership import portfolio_of
from lti_tool.richtext import sanitise_html

bp = Blueprint("collections", __name__, url_prefix="/portfolio/collections")


def init_app(app: Flask) -> None:
    """Register collections, assessment, showcase and coaching pages, and their navigation."""
    from lti_tool.coaching.views import bp as coaching_bp
    from lti_tool.collections.assessment_views import bp as assessment_bp
    from lti_tool.collections.showcase_views import bp as showcase_bp

    for blueprint in (bp, assessment_bp, showcase_bp, coaching_bp):
        app.register_blueprint(blueprint)
    app.jinja_env.filters["safe_rich_text"] = safe_rich_text
    app.extensions.setdefault("leerpaspoort.nav_links", []).append(("collections.list_collections", _l("Collections")))


def safe_rich_text(value: str | None) -> Markup:
    """Stored rich text was sanitised on save; sanitise again on the way out, then trust it."""
    return Markup(sanitise_html(value))


def _ids(name: str) -> list[int]:
    return [int(value) for value in request.form.getlist(name) if value.isdigit()]


def _owned(collection_id: int):
    return services.owned_collection(get_session(), current_user, collection_id)


def _page(collection, form: CollectionForm | None = None, *, error: str | None = None, status: int = 200, **extra):
    db = get_session()
    evidence, reflections = services.candidates(db, collection)
    submissions = list(
        db.scalars(
            select(Submission)
            .where(Submission.collection_id == collection.id)
            .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        )
    )
    return (
        render_template(
            "collections/show.html",
            collection=collection,
            form=form or CollectionForm(title=collection.title, description=collection.description),
            items=services.shown_items(db, collection),
            candidate_evidence=evidence,
            candidate_reflections=reflections,
            submissions=submissions,
            error=error,
            **extra,
        ),
        status,
    )


@bp.route("/")
@login_required
def list_collections():
    db = get_session()
    portfolio = portfolio_of(db, current_user)
    db.commit()
    return render_template(
        "collections/index.html", collections=services.collections_of(db, portfolio), form=CollectionForm()
    )


@bp.route("/", methods=["POST"])
@login_required
def create_collection():
    db = get_session()
    form = CollectionForm()
    if not form.validate():
        return render_template(
            "collections/index.html",
            collections=services.collections_of(db, portfolio_of(db, current_user)),
            form=form,
        ), 400
    collection = services.create_collection(
        db, portfolio_of(db, current_user), title=form.title.data, description=form.description.data
    )
    db.commit()
    flash(_("Collection created. Now add evidence and reflections to it."))
    return redirect(url_for("collections.show_collection", collection_id=collection.id))


@bp.route("/<int:collection_id>")
@login_required
def show_collection(collection_id: int):
    return _page(_owned(collection_id))


@bp.route("/<int:collection_id>", methods=["POST"])
@login_required
def update_collection(collection_id: int):
    db = get_session()
    collection = _owned(collection_id)
    form = CollectionForm()
    if not form.validate():
        return _page(collection, form, status=400)
    services.update_collection(db, collection, title=form.title.data, description=form.description.data)
    db.commit()
    flash(_("Saved."))
    return redirect(url_for("collections.show_collection", collection_id=collection.id))


@bp.route("/<int:collection_id>/items", methods=["POST"])
@login_required
def add_items(collection_id: int):
    db = get_session()
    collection = _owned(collection_id)
    try:
        added = services.add_items(db, collection, evidence_ids=_ids("evidence"), reflection_ids=_ids("reflection"))
    except CollectionError as exc:
        db.rollback()
        return _page(_owned(collection_id), error=str(exc), status=400)
    db.commit()
    flash(_("%(count)s item(s) added.", count=added))
    return redirect(url_for("collections.show_collection", collection_id=collection.id) + "#items")


@bp.route("/<int:collection_id>/items/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_item(collection_id: int, item_id: int):
    db = get_session()
    collection = _owned(collection_id)
    services.remove_item(db, collection, item_id)
    db.commit()
    flash(_("Item removed from the collection (the item itself is still in your portfolio)."))
    return redirect(url_for("collections.show_collection", collection_id=collection.id) + "#items")


@bp.route("/<int:collection_id>/items/<int:item_id>/move", methods=["POST"])
@login_required
def move_item(collection_id: int, item_id: int):
    db = get_session()
    collection = _owned(collection_id)
    direction = request.form.get("direction", "")
    services.move_item(db, collection, item_id, direction)
    db.commit()
    # The fragment lets the page put keyboard focus back on the moved item's button.
    return redirect(
        url_for("collections.show_collection", collection_id=collection.id, moved=item_id, dir=direction)
        + f"#item-{item_id}"
    )


@bp.route("/<int:collection_id>/delete")
@login_required
def confirm_delete(collection_id: int):
    return render_template("collections/confirm_delete.html", collection=_owned(collection_id))


@bp.route("/<int:collection_id>/delete", methods=["POST"])
@login_required
def delete_collection(collection_id: int):
    db = get_session()
    collection = _owned(collection_id)
    services.delete_collection(db, collection)
    db.commit()
    flash(_("Collection deleted. Its evidence and reflections are still in your portfolio."))
    return redirect(url_for("collections.list_collections"))


@bp.route("/<int:collection_id>/visibility", methods=["POST"])
@login_required
def set_visibility(collection_id: int):
    db = get_session()
    collection = _owned(collection_id)
    try:
        showcase.set_visibility(db, collection, request.form.get("visibility", ""))
    except CollectionError as exc:
        db.rollback()
        return _page(_owned(collection_id), error=str(exc), status=400)
    db.commit()
    flash(_("Who may see the showcase was saved."))
    return redirect(url_for("collections.show_collection", collection_id=collection.id) + "#showcase")


@bp.route("/<int:collection_id>/link", methods=["POST"])
@login_required
def create_link(collection_id: int):
    db = get_session()
    collection = _owned(collection_id)
    token = showcase.create_secret_link(db, collection)
    db.commit()
    # Shown once, in this response only: the token is not stored and not put in a redirect.
    link = url_for("showcase.by_link", token=token, _external=True)
    return render_template("collections/link_created.html", collection=collection, link=link)


@bp.route("/<int:collection_id>/link/revoke", methods=["POST"])
@login_required
def revoke_link(collection_id: int):
    db = get_session()
    collection = _owned(collection_id)
    showcase.revoke_secret_link(db, collection)
    db.commit()
    flash(_("The secret link no longer works."))
    return redirect(url_for("collections.show_collection", collection_id=collection.id) + "#showcase")


@bp.route("/<int:collection_id>/pdf")
@login_required
def pdf(collection_id: int) -> Response:
    response = pdf_response(_owned(collection_id))
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
