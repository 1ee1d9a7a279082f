"""Statements shaped like what Storyline, Captivate, Rise and cmi5 content sends, and the
specification's own examples: one definition for the validation tests and the benchmarks.

Treat them as read-only; copy (copy.deepcopy) before changing one.
"""

from __future__ import annotations

SPEC_MINIMAL = {
    "id": "12345678-1234-5678-1234-567812345678",
    "actor": {"mbox": "mailto:xapi@adlnet.gov"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/created", "display": {"en-US": "created"}},
    "object": {"id": "http://example.adlnet.gov/xapi/example/activity"},
}

REGISTRATION = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
COURSE = "http://leerpaspoort.example/modules/veilig-werken"

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
    "result": {"score": {"raw": 10, "min": 0, "max": 10, "scaled": 1}, "success": True, "response": "Helm[,]Veiligheidsschoenen", "duration": "PT12.45S"},
    "context": {
        "registration": REGISTRATION,
        "contextActivities": {
            "parent": [{"id": f"{COURSE}/6Xo1rtKnCuP_course_id/5yqyoJzlc6T", "objectType": "Activity"}],
            "grouping": [{"id": COURSE, "objectType": "Activity"}],
        },
        "revision": "1",
        "platform": "Articulate Storyline",
        "language": "nl-NL",
        "extensions": {"http://id.tincanapi.com/extension/browser-info": {"code_name": "Mozilla", "user_agent": "Mozilla/5.0"}},
    },
    "timestamp": "2024-05-01T10:15:30.123Z",
    "version": "1.0.0",
}

CAPTIVATE_EXPERIENCED = {
    "actor": {"name": "Fenna de Vries", "account": {"homePage": "https://moodle.example.nl", "name": "fenna"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
    "object": {
        "id": f"{COURSE}/slide-3",
        "definition": {"name": {"en-US": "Slide 3"}, "type": "http://adlnet.gov/expapi/activities/media"},
    },
    "context": {"registration": REGISTRATION, "contextActivities": {"parent": {"id": COURSE}}},
    "timestamp": "2024-05-01T12:15:30+02:00",
}

CAPTIVATE_LIKERT = {
    "actor": {"name": "Fenna", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
    "object": {
        "id": f"{COURSE}/survey/q1",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "interactionType": "likert",
            "scale": [{"id": f"likert_{n}", "description": {"en-US": label}} for n, label in enumerate(["Oneens", "Neutraal", "Eens"])],
        },
    },
    "result": {"response": "likert_2", "completion": True},
}

CMI5_CONTEXT = {
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
}

CMI5_PASSED = {
    "id": "7b1f2e3d-4c5b-4a69-8877-66554433aa10",
    "actor": {"objectType": "Agent", "account": {"homePage": "https://leerpaspoort.example", "name": "u-1234"}, "name": "Fenna"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"nl-NL": "is geslaagd voor", "en-US": "passed"}},
    "object": {"id": "https://leerpaspoort.example/cmi5/au/quiz", "objectType": "Activity"},
    "result": {"success": True, "score": {"scaled": 0.9}, "duration": "PT95.12S"},
    "context": CMI5_CONTEXT,
    "timestamp": "2024-05-01T10:20:00.000Z",
}

CMI5_SATISFIED = {
    "id": "d9b4b0e6-0a7e-4c6b-a1b1-34bdf3f6d2c1",
    "actor": {"objectType": "Agent", "account": {"homePage": "https://leerpaspoort.example", "name": "u-1234"}},
    "verb": {"id": "https://w3id.org/xapi/adl/verbs/satisfied", "display": {"en-US": "satisfied"}},
    "object": {
        "id": "https://leerpaspoort.example/cmi5/course/digitale-vaardigheden",
        "objectType": "Activity",
        "definition": {"type": "https://w3id.org/xapi/cmi5/activitytype/course"},
    },
    "context": {
        "registration": REGISTRATION,
        "contextActivities": {"category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]},
        "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "lms-session-1"},
    },
    "timestamp": "2024-05-01T10:20:01.000Z",
    "authority": {"objectType": "Agent", "account": {"homePage": "https://leerpaspoort.example/xapi", "name": "lms"}},
    "stored": "2024-05-01T10:20:01.250Z",
    "version": "1.0.3",
}

RISE_TERMINATED = {
    "actor": {"objectType": "Agent", "account": {"homePage": "https://leerpaspoort.example", "name": "u-1234"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/terminated", "display": {"en-US": "terminated"}},
    "object": {"id": "https://leerpaspoort.example/cmi5/au/read", "objectType": "Activity"},
    "result": {"duration": "PT4M12S"},
    "context": CMI5_CONTEXT,
    "timestamp": "2024-05-01T10:25:00Z",
}

VOIDING = {
    "actor": {"objectType": "Agent", "name": "Beheerder", "mbox": "mailto:beheer@example.nl"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
    "object": {"objectType": "StatementRef", "id": "2a6b9c3d-55f1-4f0e-9a0b-7c3e2d1f0a9b"},
}

SPEC_LONG_EXAMPLE = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {
        "name": "Team PB",
        "mbox": "mailto:teampb@example.com",
        "member": [
            {"name": "Andrew Downes", "account": {"homePage": "http://www.example.com", "name": "13936749"}, "objectType": "Agent"},
            {"name": "Toby Nichols", "openid": "http://toby.openid.example.org/", "objectType": "Agent"},
            {"name": "Ena Hills", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9", "objectType": "Agent"},
        ],
        "objectType": "Group",
    },
    "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended", "en-US": "attended"}},
    "result": {
        "extensions": {"http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\meetings\\minutes\\examplemeeting.one"},
        "success": True,
        "completion": True,
        "response": "We agreed on some example actions.",
        "duration": "PT1H0M0S",
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {
            "parent": [{"id": "http://www.example.com/meetings/series/267", "objectType": "Activity"}],
            "category": [
                {"id": "http://www.example.com/meetings/categories/teammeeting", "objectType": "Activity", "definition": {
                    "name": {"en": "team meeting"},
                    "description": {"en": "A category of meeting used for regular team meetings."},
                    "type": "http://example.com/expapi/activities/meetingcategory",
                }}
            ],
            "other": [
                {"id": "http://www.example.com/meetings/occurances/34257", "objectType": "Activity"},
                {"id": "http://www.example.com/meetings/occurances/3425567", "objectType": "Activity"},
            ],
        },
        "instructor": {"name": "Andrew Downes", "account": {"homePage": "http://www.example.com", "name": "13936749"}, "objectType": "Agent"},
        "team": {"name": "Team PB", "mbox": "mailto:teampb@example.com", "objectType": "Group"},
        "platform": "Example virtual meeting software",
        "language": "tlh",
        "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
    },
    "timestamp": "2013-05-18T05:32:34.804+00:00",
    "stored": "2013-05-18T05:32:34.804+00:00",
    "authority": {"account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"}, "objectType": "Agent"},
    "version": "1.0.0",
    "object": {
        "id": "http://www.example.com/meetings/occurances/34534",
        "definition": {
            "extensions": {"http://example.com/profiles/meetings/activitydefinitionextensions/room": {"name": "Kilby", "id": "http://example.com/rooms/342"}},
            "name": {"en-GB": "example meeting", "en-US": "example meeting"},
            "description": {"en-GB": "An example meeting that happened on a specific occasion with certain people present."},
            "type": "http://adlnet.gov/expapi/activities/meeting",
            "moreInfo": "http://virtualmeeting.example.com/345256",
        },
        "objectType": "Activity",
    },
}

UNICODE_DISPLAY = {
    "actor": {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"},
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/attended",
        "display": {"en-GB": "attended", "ja-JP": "出席した", "ko-KR": "참석", "ru-RU": "участие", "ar-EG": "حضر", "hy-AM": "ներկա է գտնվել"},
    },
    "object": {
        "objectType": "Activity",
        "id": "http://www.example.com/unicode",
        "definition": {
            "name": {"en": "Other", "kn-IN": "ಹಾಜರಿದ್ದರು", "pa-IN": "ਹਾਜ਼ਰ"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "interactionType": "other",
            "correctResponsesPattern": ["(35.937432,-86.868896)"],
            "extensions": {"http://example.com/profiles/meetings/extension/reporter": {"name": "Thomas", "id": "http://openid.com/342"}},
        },
    },
    "timestamp": "2031-01-01T00:00:00.000Z",  # a future timestamp is still a timestamp
}

REALISTIC = {
    "storyline answered": STORYLINE_ANSWERED,
    "captivate experienced": CAPTIVATE_EXPERIENCED,
    "captivate likert": CAPTIVATE_LIKERT,
    "cmi5 passed": CMI5_PASSED,
    "cmi5 satisfied": CMI5_SATISFIED,
    "rise terminated": RISE_TERMINATED,
    "voiding": VOIDING,
    "specification long example": SPEC_LONG_EXAMPLE,
    "unicode display and future timestamp": UNICODE_DISPLAY,
}
