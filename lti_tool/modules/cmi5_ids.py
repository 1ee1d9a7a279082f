"""The activity ids the LMS generates for a cmi5 course, its blocks and its AUs (cmi5 8.1).

They differ from the publisher's ids, stay the same for every launch and registration of a
package, and contain the package's random content key so two uploads never share one.
The migration 0014_cmi5 backfills existing rows with the same formula.
"""

from __future__ import annotations

from lti_tool.modules.models import ModulePackage

PREFIX = "urn:leerpaspoort:cmi5"


def lms_course_id(package: ModulePackage) -> str:
    return f"{PREFIX}:{package.content_key}:course"


def lms_block_id(package: ModulePackage, position: int) -> str:
    return f"{PREFIX}:{package.content_key}:block:{position}"


def lms_au_id(package: ModulePackage, position: int) -> str:
    return f"{PREFIX}:{package.content_key}:au:{position}"
