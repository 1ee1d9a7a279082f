"""Showcase pages: who may see a collection, its secret link, and coaches' comments.

A secret link is an unguessable token shown to the learner once; only its SHA-256 is
stored, so a database leak does not open anyone's showcase. Revoking clears the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.collections.models import COACHES, PRIVATE, SECRET_LINK, Collection, ShowcaseComment
from lti_tool.collections.services import CollectionError, shown_items
from lti_tool.db import utcnow
from lti_tool.errors import NotFoundError
from lti_tool.people.models import User
from lti_tool.policy import may_comment_showcase, may_view_showcase
from lti_tool.portfolio.models import EvidenceFile
from lti_tool.richtext import plain_text

VISIBILITIES = (PRIVATE, COACHES, SECRET_LINK)
TOKEN_BYTES = 32
COMMENT_LIMIT = 5_000


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def set_visibility(session: Session, collection: Collection, visibility: str) -> None:
    """Only the owner, or the owner and their coaches; an active secret link stays active with coaches."""
    if visibility not in (PRIVATE, COACHES):
        raise CollectionError(_("Choose who may see the showcase: only you, or your coaches."))
    if visibility == PRIVATE:
        # "Only me" must mean only the owner: it also closes the secret link.
        revoke_secret_link(session, collection)
        collection.visibility = PRIVATE
    else:
        collection.visibility = SECRET_LINK if collection.share_token_hash is not None else COACHES
    session.flush()


def create_secret_link(session: Session, collection: Collection) -> str:
    """Make a new secret link (any earlier one stops working); return its token, shown once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    collection.share_token_hash = hash_token(token)
    collection.share_created_at = utcnow()
    collection.visibility = SECRET_LINK
    session.flush()
    return token


def revoke_secret_link(session: Session, collection: Collection) -> None:
    """Stop the secret link; coaches keep their access."""
    collection.share_token_hash = None
    collection.share_created_at = None
    if collection.visibility == SECRET_LINK:
        collection.visibility = COACHES
    session.flush()


def collection_by_token(session: Session, token: str) -> Collection:
    """The collection a secret link opens; a wrong or revoked token is simply not found."""
    if not token or len(token) > 128:
        raise NotFoundError(_("This link does not work (any more). Ask the owner for a new one."))
    digest = hash_token(token)
    collection = session.scalars(select(Collection).where(Collection.share_token_hash == digest)).first()
    # The lookup is by hash; compare again in constant time for good measure.
    if (
        collection is None
        or collection.visibility != SECRET_LINK
        or not hmac.compare_digest(collection.share_token_hash or "", digest)
    ):
        raise NotFoundError(_("This link does not work (any more). Ask the owner for a new one."))
    return collection


def viewable_showcase(session: Session, user: User, collection_id: int) -> Collection:
    collection = session.get(Collection, collection_id)
    if collection is None or not may_view_showcase(session, user, collection):
        raise NotFoundError(_("This showcase does not exist or is not shared with you."))
    return collection


def showcase_file(session: Session, collection: Collection, file_id: int) -> EvidenceFile:
    """A file of an evidence item shown in this showcase; any other file is not found."""
    stored = session.get(EvidenceFile, file_id)
    shown_evidence = {s.evidence.id for s in shown_items(session, collection) if s.evidence is not None}
    if stored is None or stored.evidence_id not in shown_evidence:
        raise NotFoundError(_("This file is not part of the showcase."))
    return stored


def comment_on_showcase(session: Session, coach: User, collection: Collection, body: str) -> ShowcaseComment:
    if not may_comment_showcase(session, coach, collection):
        raise NotFoundError(_("This showcase does not exist or is not shared with you."))
    text = plain_text(body or "").strip()
    if not text:
        raise CollectionError(_("Write a comment first."))
    if len(text) > COMMENT_LIMIT:
        raise CollectionError(_("The comment is too long: at most %(limit)s characters.", limit=COMMENT_LIMIT))
    comment = ShowcaseComment(collection_id=collection.id, author_id=coach.id, body=text)
    session.add(comment)
    session.flush()
    return comment


def showcase_comments(session: Session, collection: Collection) -> list[tuple[ShowcaseComment, User]]:
    rows = session.execute(
        select(ShowcaseComment, User)
        .join(User, User.id == ShowcaseComment.author_id)
        .where(ShowcaseComment.collection_id == collection.id)
        .order_by(ShowcaseComment.created_at, ShowcaseComment.id)
    ).all()
    return [(comment, author) for comment, author in rows]
