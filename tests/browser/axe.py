"""axe-core in the browser tests: inject the npm package into a page or frame and report violations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: what the issue (and EN 301 549) asks for.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def require_axe() -> Path:
    """Return axe.min.js; skip without it, unless CI demands the node-based tests."""
    if AXE_SCRIPT.exists():
        return AXE_SCRIPT
    message = f"{AXE_SCRIPT} is missing: run `npm ci` in tests/browser"
    if os.environ.get("LEERPASPOORT_REQUIRE_NODE_TESTS"):
        pytest.fail(message)
    pytest.skip(message)


def axe_violations(target) -> list[dict]:
    """Run axe (WCAG 2.1 A/AA) on a Playwright Page or Frame and return its violations."""
    script = require_axe()
    if not target.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through DevTools rather than added as a <script>: our Content-Security-Policy
        # (script-src 'self') rightly blocks injected scripts, and the page must be tested as served.
        target.evaluate(script.read_text(encoding="utf-8") + "\n;undefined")
    return target.evaluate(
        # Bounded: Playwright's evaluate has no timeout of its own, and a frame that never answers
        # axe would otherwise hold the test forever.
        """tags => Promise.race([
                axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], frameWaitTime: 20000}),
                new Promise((_, reject) => setTimeout(() => reject(new Error('axe did not finish within 90 s')), 90000)),
            ]).then(results => results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(' ')),
            })))""",
        WCAG_TAGS,
    )


def blocking(violations: list[dict]) -> list[dict]:
    """Keep the serious and critical violations: the ones that must fail a test."""
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    """One line per violation: rule, impact, the elements it found, and where to read about it."""
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'][:5])}"
        f"{' …' if len(v['targets']) > 5 else ''} — {v['helpUrl']}"
        for v in violations
    )


def assert_accessible(target, where: str) -> None:
    """Fail, listing each serious or critical axe violation, when the page or frame has any."""
    found = blocking(axe_violations(target))
    assert not found, f"axe found serious/critical WCAG 2.1 A/AA violations on {where}:\n{describe(found)}"
