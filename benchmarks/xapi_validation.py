"""xAPI statement validation throughput: how many statements per second one core checks.

    python benchmarks/xapi_validation.py [--seconds 1.0]

Validates three typical shapes (the specification's minimal statement, a cmi5 "passed" with
context and result, a Storyline "answered" choice interaction; the same statements the
validation tests use, from tests/support/xapi_statements.py) and a batch of 100 mixed statements, then
prints statements/s and microseconds per statement (CPU and wall-clock) for each. Target: a typical statement in
tens of microseconds, so validation never dominates a POST /xapi/statements.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.xapi_statements import CMI5_PASSED, SPEC_MINIMAL, STORYLINE_ANSWERED  # noqa: E402
from xapi.validation import validate_statement, validate_statements  # noqa: E402

def _batch(size: int) -> list[dict]:
    shapes = (SPEC_MINIMAL, CMI5_PASSED, STORYLINE_ANSWERED)
    batch = []
    for index in range(size):
        statement = copy.deepcopy(shapes[index % len(shapes)])
        statement["id"] = str(uuid.uuid4())
        batch.append(statement)
    return batch


def _measure(label: str, run, statements_per_run: int, seconds: float) -> None:
    run()  # warm the memoised IRI and language-tag checks, as a running server would be
    runs = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            run()
        runs += 100
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    count = runs * statements_per_run
    # CPU time is the steadier figure on a shared machine; wall-clock time shows what a request waits.
    print(
        f"{label:<28} {count / cpu:>10,.0f} statements/s (CPU) {cpu / count * 1e6:>7.1f} µs CPU"
        f" {elapsed / count * 1e6:>7.1f} µs wall"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent on each measurement")
    args = parser.parse_args()
    batch = _batch(100)
    _measure("minimal statement", lambda: validate_statement(SPEC_MINIMAL), 1, args.seconds)
    _measure("cmi5 passed", lambda: validate_statement(CMI5_PASSED), 1, args.seconds)
    _measure("storyline choice answered", lambda: validate_statement(STORYLINE_ANSWERED), 1, args.seconds)
    _measure("batch of 100 (mixed)", lambda: validate_statements(batch), len(batch), args.seconds)
    _measure("cmi5 passed, xAPI 2.0.0", lambda: validate_statement(CMI5_PASSED, version="2.0.0"), 1, args.seconds)


if __name__ == "__main__":
    main()
