"""xAPI statement validation throughput: how many statements per second one core checks.

    python benchmarks/xapi_validation.py [--seconds 1.0]

Validates three typical shapes (a minimal statement, a cmi5 "passed" with context and
result, a Storyline "answered" choice interaction) and a batch of 100 mixed statements, then
prints statements/s and microseconds per statement (CPU and wall-clock) for each. Target: a typical statement in
tens of microseconds, so validation never dominates a POST /xapi/statements.
"""

from __future__ import annotations

import argparse
import copy
import time
import uuid

from xapi.validation import validate_statement, validate_statements

REGISTRATION = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
COURSE = "http://leerpaspoort.example/modules/veilig-werken"

MINIMAL = {
    "id": "12345678-1234-5678-1234-567812345678",
    "actor": {"mbox": "mailto:xapi@adlnet.gov"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/created", "display": {"en-US": "created"}},
    "object": {"id": "http://example.adlnet.gov/xapi/example/activity"},
}

CMI5_PASSED = {
    "id": "7b1f2e3d-4c5b-4a69-8877-66554433aa10",
    "actor": {"objectType": "Agent", "account": {"homePage": "https://leerpaspoort.example", "name": "u-1234"}, "name": "Fenna"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"nl-NL": "is geslaagd voor", "en-US": "passed"}},
    "object": {"id": "https://leerpaspoort.example/cmi5/au/quiz", "objectType": "Activity"},
    "result": {"success": True, "score": {"scaled": 0.9}, "duration": "PT95.12S"},
    "context": {
        "registration": REGISTRATION,
        "contextActivities": {
            "grouping": [{"id": "https://leerpaspoort.example/cmi5/course/digitale-vaardigheden", "objectType": "Activity"}],
            "category": [
                {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5", "objectType": "Activity"},
                {"id": "https://w3id.org/xapi/cmi5/context/categories/moveon", "objectType": "Activity"},
            ],
        },
        "extensions": {
            "https://w3id.org/xapi/cmi5/context/extensions/sessionid": "c4e1d8a0-bd3f-4a5a-8a57-0a4a7a1c1b11",
            "https://w3id.org/xapi/cmi5/context/extensions/masteryscore": 0.8,
        },
    },
    "timestamp": "2024-05-01T10:20:00.000Z",
}

STORYLINE_ANSWERED = {
    "id": "2a6b9c3d-55f1-4f0e-9a0b-7c3e2d1f0a9b",
    "actor": {"objectType": "Agent", "name": "Fenna de Vries", "mbox": "mailto:fenna@example.nl"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"und": "answered"}},
    "object": {
        "objectType": "Activity",
        "id": f"{COURSE}/6Xo1rtKnCuP_course_id/5yqyoJzlc6T/6BR6h0cH5Wv",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "name": {"und": "Welke beschermingsmiddelen draag je op de bouwplaats?"},
            "description": {"und": "Welke beschermingsmiddelen draag je op de bouwplaats?"},
            "interactionType": "choice",
            "correctResponsesPattern": ["Helm[,]Veiligheidsschoenen"],
            "choices": [
                {"id": "Helm", "description": {"und": "Helm"}},
                {"id": "Veiligheidsschoenen", "description": {"und": "Veiligheidsschoenen"}},
                {"id": "Slippers", "description": {"und": "Slippers"}},
            ],
        },
    },
    "result": {"score": {"raw": 10, "min": 0, "max": 10, "scaled": 1}, "success": True, "response": "Helm", "duration": "PT12.45S"},
    "context": {
        "registration": REGISTRATION,
        "contextActivities": {
            "parent": [{"id": f"{COURSE}/6Xo1rtKnCuP_course_id/5yqyoJzlc6T", "objectType": "Activity"}],
            "grouping": [{"id": COURSE, "objectType": "Activity"}],
        },
        "platform": "Articulate Storyline",
        "language": "nl-NL",
    },
    "timestamp": "2024-05-01T10:15:30.123Z",
    "version": "1.0.0",
}


def _batch(size: int) -> list[dict]:
    shapes = (MINIMAL, CMI5_PASSED, STORYLINE_ANSWERED)
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
    _measure("minimal statement", lambda: validate_statement(MINIMAL), 1, args.seconds)
    _measure("cmi5 passed", lambda: validate_statement(CMI5_PASSED), 1, args.seconds)
    _measure("storyline choice answered", lambda: validate_statement(STORYLINE_ANSWERED), 1, args.seconds)
    _measure("batch of 100 (mixed)", lambda: validate_statements(batch), len(batch), args.seconds)
    _measure("cmi5 passed, xAPI 2.0.0", lambda: validate_statement(CMI5_PASSED, version="2.0.0"), 1, args.seconds)


if __name__ == "__main__":
    main()
