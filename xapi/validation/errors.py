"""The one exception the validation layer raises, and how its JSON paths are written."""

from __future__ import annotations

import json


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
    # str.isidentifier is a C call; a regex here was the single largest cost of validation.
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def item(path: str, index: int) -> str:
    """Return the path of array element `index` below `path`."""
    return f"{path}[{index}]"
