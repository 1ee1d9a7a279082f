"""Build collections: an ordered, titled set of the learner's own evidence and reflections."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from lti_tool.db import utcnow
from lti_tool.collections.models import Collection, CollectionItem, Submission
from lti_tool.errors import DomainError, NotFoundError
from lti_tool.people.models import User
from lti_tool.policy import may_edit_collection
from lti_tool.portfolio.models import DRAFT, Evidence, Portfolio, Reflection
from lti_tool.richtext import ALLOWED_TAGS, plain_text, sanitise_html

TITLE_LIMIT = 300
DESCRIPTION_LIMIT = 50_000
ITEM_LIMIT = 200
UP = "up"
# Text with one of the editor's tags is HTML; anything else ("<3", "a < b") is plain text.
_TOOLBAR_TAG = re.compile(r"</?(?:%s)\b" % "|".join(sorted(ALLOWED_TAGS)), re.IGNORECASE)
DOWN = "down"


class CollectionError(DomainError):
    """A change to a collection that cannot be made; the message tells the learner why."""

    status = 400


@dataclass
class ShownItem:
    """A collection item with what it points at (evidence or reflection)."""

    item: CollectionItem
    evidence: Evidence | None
    reflection: Reflection | None

    @property
    def title(self) -> str:
        target = self.evidence or self.reflection
        return (target.title if target is not None else "") or _("(untitled)")

    @property
    def kind(self) -> str:
        return "evidence" if self.evidence is not None else "reflection"


def owned_collection(session: Session, user: User, collection_id: int) -> Collection:
    """The user's own collection; anything else is "not found", so ids leak nothing."""
    collection = session.get(Collection, collection_id)
    if collection is None or not may_edit_collection(session, user, collection):
        raise NotFoundError(_("This collection does not exist or is not yours."))
    return collection


def collections_of(session: Session, portfolio: Portfolio) -> list[Collection]:
    return list(
        session.scalars(
            select(Collection)
            .where(Collection.portfolio_id == portfolio.id, Collection.platform_id == portfolio.platform_id)
            .order_by(Collection.updated_at.desc(), Collection.id.desc())
        )
    )


def clean_title(title: str | None) -> str:
    cleaned = " ".join(plain_text(title or "").split())
    if not cleaned:
        raise CollectionError(_("Give the collection a title."))
    if len(cleaned) > TITLE_LIMIT:
        raise CollectionError(_("The title is too long: at most %(limit)s characters.", limit=TITLE_LIMIT))
    return cleaned


def clean_description(html_or_text: str | None) -> str:
    """Sanitise the introduction; plain text (no toolbar tags in it) becomes escaped paragraphs."""
    if not html_or_text:
        return ""
    if len(html_or_text) > DESCRIPTION_LIMIT:
        raise CollectionError(_("The introduction is too long: at most %(limit)s characters.", limit=DESCRIPTION_LIMIT))
    if not _TOOLBAR_TAG.search(html_or_text):
        paragraphs = [p.strip() for p in re.split(r"\r?\n\s*\r?\n", html_or_text) if p.strip()]
        html_or_text = "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return sanitise_html(html_or_text)


def create_collection(session: Session, portfolio: Portfolio, *, title: str, description: str = "") -> Collection:
    """Start an empty, private collection in the portfolio."""
    collection = Collection(
        portfolio_id=portfolio.id,
        platform_id=portfolio.platform_id,
        title=clean_title(title),
        description=clean_description(description),
    )
    session.add(collection)
    session.flush()
    return collection


def update_collection(session: Session, collection: Collection, *, title: str, description: str) -> None:
    collection.title = clean_title(title)
    collection.description = clean_description(description)
    session.flush()


def delete_collection(session: Session, collection: Collection) -> None:
    """Delete a collection unless it was submitted: assessors keep what they were sent."""
    submitted = session.scalar(select(func.count()).where(Submission.collection_id == collection.id))
    if submitted:
        raise CollectionError(
            _("This collection was submitted for assessment, so it cannot be deleted. You can still change it.")
        )
    session.delete(collection)
    session.flush()


def _owned_ids(session: Session, model, portfolio_id: int, platform_id: int, ids: list[int], *extra) -> set[int]:
    if not ids:
        return set()
    return set(
        session.scalars(
            select(model.id).where(
                model.id.in_(ids),
                model.portfolio_id == portfolio_id,
                model.platform_id == platform_id,
                model.deleted_at.is_(None),
                *extra,
            )
        )
    )


def add_items(
    session: Session, collection: Collection, *, evidence_ids: list[int], reflection_ids: list[int]
) -> int:
    """Append the learner's own items (in the order given); return how many were new."""
    evidence_ids = list(dict.fromkeys(evidence_ids))
    reflection_ids = list(dict.fromkeys(reflection_ids))
    if not evidence_ids and not reflection_ids:
        raise CollectionError(_("Choose at least one item to add."))
    own_evidence = _owned_ids(session, Evidence, collection.portfolio_id, collection.platform_id, evidence_ids)
    own_reflections = _owned_ids(
        session, Reflection, collection.portfolio_id, collection.platform_id, reflection_ids, Reflection.status != DRAFT
    )
    if own_evidence != set(evidence_ids) or own_reflections != set(reflection_ids):
        # Someone else's id, a deleted item or a forged form: change nothing.
        raise NotFoundError(_("One of the chosen items does not exist or is not yours."))
    present_evidence = {i.evidence_id for i in collection.items if i.evidence_id}
    present_reflections = {i.reflection_id for i in collection.items if i.reflection_id}
    new = [("e", i) for i in evidence_ids if i not in present_evidence]
    new += [("r", i) for i in reflection_ids if i not in present_reflections]
    if len(collection.items) + len(new) > ITEM_LIMIT:
        raise CollectionError(_("A collection holds at most %(limit)s items.", limit=ITEM_LIMIT))
    position = max((i.position for i in collection.items), default=-1) + 1
    for offset, (kind, target_id) in enumerate(new):
        collection.items.append(
            CollectionItem(
                position=position + offset,
                evidence_id=target_id if kind == "e" else None,
                reflection_id=target_id if kind == "r" else None,
            )
        )
    collection.updated_at = utcnow()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        # The unique constraint caught a concurrent add of the same item.
        raise CollectionError(_("That item is already in the collection; reload the page.")) from exc
    return len(new)


def _item_of(collection: Collection, item_id: int) -> CollectionItem:
    for item in collection.items:
        if item.id == item_id:
            return item
    raise NotFoundError(_("This item is not in the collection (any more)."))


def _renumber(items: list[CollectionItem]) -> None:
    for position, item in enumerate(items):
        item.position = position
    if items:
        # The collection changed even though its own row did not: keep "last changed" honest.
        items[0].collection.updated_at = utcnow()


def remove_item(session: Session, collection: Collection, item_id: int) -> None:
    """Take an item out of the collection; the evidence or reflection itself stays."""
    item = _item_of(collection, item_id)
    collection.items.remove(item)
    collection.updated_at = utcnow()
    _renumber(collection.items)
    session.flush()


def move_item(session: Session, collection: Collection, item_id: int, direction: str) -> None:
    """Swap an item with its neighbour above or below (keyboard-friendly reordering)."""
    if direction not in (UP, DOWN):
        raise CollectionError(_("Move an item up or down."))
    items = sorted(collection.items, key=lambda i: (i.position, i.id))
    item = _item_of(collection, item_id)
    index = items.index(item)
    other = index - 1 if direction == UP else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    _renumber(items)
    session.flush()
    session.expire(collection, ["items"])


def shown_items(session: Session, collection: Collection) -> list[ShownItem]:
    """The items in order, each with its evidence or reflection; items in the trash are left out."""
    evidence_ids = [i.evidence_id for i in collection.items if i.evidence_id]
    reflection_ids = [i.reflection_id for i in collection.items if i.reflection_id]
    evidence = {
        e.id: e
        for e in session.scalars(
            select(Evidence)
            .options(selectinload(Evidence.files), selectinload(Evidence.tags))
            .where(
                Evidence.id.in_(evidence_ids),
                Evidence.portfolio_id == collection.portfolio_id,
                Evidence.deleted_at.is_(None),
            )
        )
    } if evidence_ids else {}
    reflections = {
        r.id: r
        for r in session.scalars(
            select(Reflection).where(
                Reflection.id.in_(reflection_ids),
                Reflection.portfolio_id == collection.portfolio_id,
                Reflection.deleted_at.is_(None),
                # A reflection that was never saved has no content to show or submit yet.
                Reflection.status != DRAFT,
            )
        )
    } if reflection_ids else {}
    shown = []
    for item in sorted(collection.items, key=lambda i: (i.position, i.id)):
        target_evidence = evidence.get(item.evidence_id) if item.evidence_id else None
        target_reflection = reflections.get(item.reflection_id) if item.reflection_id else None
        if target_evidence is not None or target_reflection is not None:
            shown.append(ShownItem(item, target_evidence, target_reflection))
    return shown


def candidates(session: Session, collection: Collection) -> tuple[list[Evidence], list[Reflection]]:
    """The learner's evidence and reflections that are not in the collection yet."""
    present_evidence = [i.evidence_id for i in collection.items if i.evidence_id]
    present_reflections = [i.reflection_id for i in collection.items if i.reflection_id]
    evidence = session.scalars(
        select(Evidence)
        .where(
            Evidence.portfolio_id == collection.portfolio_id,
            Evidence.platform_id == collection.platform_id,
            Evidence.deleted_at.is_(None),
            Evidence.id.not_in(present_evidence),
        )
        .order_by(Evidence.occurred_on.desc(), Evidence.id.desc())
    )
    reflections = session.scalars(
        select(Reflection)
        .where(
            Reflection.portfolio_id == collection.portfolio_id,
            Reflection.platform_id == collection.platform_id,
            Reflection.deleted_at.is_(None),
            Reflection.status != DRAFT,
            Reflection.id.not_in(present_reflections),
        )
        .order_by(Reflection.updated_at.desc(), Reflection.id.desc())
    )
    return list(evidence), list(reflections)
