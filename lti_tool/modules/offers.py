"""Offer the tenant's modules in the deep-linking picker, graded so the LMS makes a column."""

from __future__ import annotations

from typing import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.lti.deep_linking import DeepLinkRequest, Offer, register_provider
from lti_tool.modules.models import ModulePackage

KIND_MODULE = "module"
MODULE_PARAM = "leerpaspoort_module"
MODULE_SCORE_MAXIMUM = 100
# A cmi5 course is placed as one link: it opens the course page, where the learner starts each AU.
LAUNCHABLE_KINDS = ("tincan", "cmi5")


@register_provider
def module_offers(session: Session, request: DeepLinkRequest) -> Iterable[Offer]:
    packages = session.scalars(
        select(ModulePackage)
        .where(ModulePackage.platform_id == request.platform.id, ModulePackage.kind.in_(LAUNCHABLE_KINDS))
        .order_by(ModulePackage.title, ModulePackage.id)
    ).all()
    for package in packages:
        yield Offer(
            key=f"module-{package.id}",
            kind=KIND_MODULE,
            title=package.title,
            description=package.description or _("E-learning module; its score goes to the gradebook (0-100)."),
            score_maximum=MODULE_SCORE_MAXIMUM,
            custom={MODULE_PARAM: str(package.id)},
        )
