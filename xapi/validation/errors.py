"""The one exception the validation layer raises, and how its JSON paths are written."""

from __future__ import annotations

import json
import re

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class StatementValidationError(ValueError):
    """A statement (or a part of one) breaks an xAPI rule.

    `path` names the offending property as a JSON path ("statements[2].actor.mbox"),
    `rule` says which rule it breaks in words a module author can act on.
    """

    def __init__(self, path: str, rule: str):
        super().__init__(f"{path}: {rule}")
        self.path = path
        self.rule = rule

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}"


def child(path: str, key: str) -> str:
    """Return the path of property `key` below `path` (quoted when it is not a plain name)."""
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def item(path: str, index: int) -> str:
    """Return the path of array element `index` below `path`."""
    return f"{path}[{index}]"
