"""Read the manifests of e-learning packages: Tin Can (tincan.xml) and cmi5 (cmi5.xml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

TINCAN_NS = "http://projecttincan.com/tincan.xsd"
CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
MOVE_ON_VALUES = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")


class ManifestError(Exception):
    """The manifest is missing, malformed or breaks a rule; the message says which."""


@dataclass
class AssignableUnit:
    """One launchable activity: a Tin Can launch activity or a cmi5 AU."""

    activity_id: str
    title: str
    url: str
    description: str = ""
    activity_type: str = ""
    move_on: str = "NotApplicable"
    mastery_score: float | None = None
    launch_method: str = "AnyWindow"
    launch_parameters: str = ""
    entitlement_key: str = ""
    # Ids of the cmi5 blocks this AU sits in, outermost first.
    block_ids: list[str] = field(default_factory=list)


@dataclass
class Block:
    block_id: str
    title: str
    parent_ids: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    kind: str  # "tincan" or "cmi5"
    course_id: str
    title: str
    description: str
    units: list[AssignableUnit]
    blocks: list[Block] = field(default_factory=list)


def _parse(data: bytes, name: str) -> Element:
    try:
        return ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ManifestError(f"{name} is not well-formed XML: {exc}") from None


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _langstring(parent: Element, tag: str, ns: str) -> str:
    """Pick the first language string of a cmi5 title/description (or its plain text)."""
    node = parent.find(f"{{{ns}}}{tag}")
    if node is None:
        return ""
    strings = node.findall(f"{{{ns}}}langstring")
    return _text(strings[0]) if strings else _text(node)


def _require_iri(value: str | None, what: str) -> str:
    if not value or ":" not in value:
        raise ManifestError(f"{what} must be an IRI (e.g. https://example.org/course/1), got {value!r}")
    return value


def parse_tincan(data: bytes) -> Manifest:
    """Read tincan.xml; the activity with a <launch> element is the module."""
    root = _parse(data, "tincan.xml")
    ns = TINCAN_NS if root.tag == f"{{{TINCAN_NS}}}tincan" else ""
    prefix = f"{{{ns}}}" if ns else ""
    if root.tag != f"{prefix}tincan":
        raise ManifestError("tincan.xml must have <tincan> as its root element")
    activities = root.findall(f"{prefix}activities/{prefix}activity")
    if not activities:
        raise ManifestError("tincan.xml lists no activities")
    seen: set[str] = set()
    units = []
    for activity in activities:
        activity_id = _require_iri(activity.get("id"), "tincan.xml activity id")
        if activity_id in seen:
            raise ManifestError(f"tincan.xml lists activity {activity_id} twice")
        seen.add(activity_id)
        launch = _text(activity.find(f"{prefix}launch"))
        if launch:
            units.append(
                AssignableUnit(
                    activity_id=activity_id,
                    title=_text(activity.find(f"{prefix}name")) or activity_id,
                    description=_text(activity.find(f"{prefix}description")),
                    url=launch,
                    activity_type=activity.get("type", ""),
                )
            )
    if not units:
        raise ManifestError("tincan.xml has no activity with a <launch> file")
    first = units[0]
    return Manifest("tincan", first.activity_id, first.title, first.description, units)


def parse_cmi5(data: bytes) -> Manifest:
    """Read cmi5.xml (cmi5 section 13): the course, its blocks and AUs in order."""
    root = _parse(data, "cmi5.xml")
    ns = CMI5_NS
    if root.tag != f"{{{ns}}}courseStructure":
        raise ManifestError(f"cmi5.xml must have <courseStructure xmlns=\"{CMI5_NS}\"> as its root")
    course = root.find(f"{{{ns}}}course")
    if course is None:
        raise ManifestError("cmi5.xml has no <course>")
    course_id = _require_iri(course.get("id"), "cmi5 course id")
    manifest = Manifest(
        "cmi5",
        course_id,
        _langstring(course, "title", ns) or course_id,
        _langstring(course, "description", ns),
        [],
    )
    seen = {course_id}
    _walk_cmi5(root, ns, [], manifest, seen)
    if not manifest.units:
        raise ManifestError("cmi5.xml has no <au>")
    return manifest


def _walk_cmi5(parent: Element, ns: str, block_ids: list[str], manifest: Manifest, seen: set[str]) -> None:
    for child in parent:
        if child.tag == f"{{{ns}}}block":
            block_id = _require_iri(child.get("id"), "cmi5 block id")
            _claim(block_id, seen)
            manifest.blocks.append(Block(block_id, _langstring(child, "title", ns) or block_id, list(block_ids)))
            _walk_cmi5(child, ns, [*block_ids, block_id], manifest, seen)
        elif child.tag == f"{{{ns}}}au":
            manifest.units.append(_read_au(child, ns, block_ids, seen))


def _claim(activity_id: str, seen: set[str]) -> None:
    if activity_id in seen:
        raise ManifestError(f"cmi5.xml uses the id {activity_id} more than once")
    seen.add(activity_id)


def _read_au(au: Element, ns: str, block_ids: list[str], seen: set[str]) -> AssignableUnit:
    au_id = _require_iri(au.get("id"), "cmi5 AU id")
    _claim(au_id, seen)
    url = _text(au.find(f"{{{ns}}}url"))
    if not url:
        raise ManifestError(f"AU {au_id} has no <url>")
    move_on = au.get("moveOn", "NotApplicable")
    if move_on not in MOVE_ON_VALUES:
        raise ManifestError(f"AU {au_id} has moveOn {move_on!r}; expected one of {', '.join(MOVE_ON_VALUES)}")
    launch_method = au.get("launchMethod", "AnyWindow")
    if launch_method not in LAUNCH_METHODS:
        raise ManifestError(f"AU {au_id} has launchMethod {launch_method!r}; expected AnyWindow or OwnWindow")
    mastery = au.get("masteryScore")
    mastery_score = None
    if mastery is not None:
        try:
            mastery_score = float(mastery)
        except ValueError:
            raise ManifestError(f"AU {au_id} has a masteryScore that is not a number: {mastery!r}") from None
        if not 0 <= mastery_score <= 1:
            raise ManifestError(f"AU {au_id} has masteryScore {mastery_score}; it must be between 0 and 1")
    return AssignableUnit(
        activity_id=au_id,
        title=_langstring(au, "title", ns) or au_id,
        description=_langstring(au, "description", ns),
        url=url,
        activity_type=au.get("activityType", ""),
        move_on=move_on,
        mastery_score=mastery_score,
        launch_method=launch_method,
        launch_parameters=_text(au.find(f"{{{ns}}}launchParameters")),
        entitlement_key=_text(au.find(f"{{{ns}}}entitlementKey")),
        block_ids=list(block_ids),
    )
