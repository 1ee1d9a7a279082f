"""Messages between a learner and a coach: only the two of them, only while the learner grants it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lti_tool.coaching.models import MESSAGE_MAX, CoachGrant, CoachMessage


def _grant(learner, coach) -> int:
    response = learner.post("/portfolio/coaches", {"coach": str(coach.user_id), "permission": "view"})
    assert response.status_code == 302
    return int(re.search(r"/coaching/(\d+)/messages", learner.get("/portfolio/coaches").get_data(as_text=True)).group(1))


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(CoachMessage))


@pytest.fixture
def grant_id(learner, second_learner) -> int:
    return _grant(learner, second_learner)


def test_learner_and_coach_write_each_other(learner, second_learner, grant_id):
    sent = learner.post(f"/coaching/{grant_id}/messages", {"body": "Wil je naar mijn STARR-reflectie kijken?\nDank je!"})
    assert sent.status_code == 302
    # The coach finds the conversation from their coaches page.
    assert f"/coaching/{grant_id}/messages" in second_learner.get("/portfolio/coaches").get_data(as_text=True)
    page = second_learner.get(f"/coaching/{grant_id}/messages").get_data(as_text=True)
    assert "Wil je naar mijn STARR-reflectie kijken?\nDank je!" in page  # line breaks kept as written
    assert second_learner.post(f"/coaching/{grant_id}/messages", {"body": "Graag, morgen."}).status_code == 302
    page = learner.get(f"/coaching/{grant_id}/messages").get_data(as_text=True)
    assert page.index("STARR-reflectie") < page.index("Graag, morgen.")


def test_a_message_is_plain_text(db, learner, second_learner, grant_id):
    learner.post(f"/coaching/{grant_id}/messages", {"body": '<script>alert(1)</script><b onmouseover="x()">vet</b>'})
    page = second_learner.get(f"/coaching/{grant_id}/messages").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("body, message", [("   ", "Write a message"), ("x" * (MESSAGE_MAX + 1), "under 4000 characters")])
def test_an_empty_or_too_long_message_is_refused_and_kept_in_the_form(db, learner, grant_id, body, message):
    response = learner.post(f"/coaching/{grant_id}/messages", {"body": body})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(db) == 0


def test_nobody_else_reads_or_writes_them(app, db, learner, second_learner, foreign_learner, instructor, anonymous, grant_id):
    learner.post(f"/coaching/{grant_id}/messages", {"body": "Alleen voor jou"})
    for outsider in (foreign_learner, instructor):
        assert outsider.get(f"/coaching/{grant_id}/messages").status_code == 404
        assert outsider.post(f"/coaching/{grant_id}/messages", {"body": "ik lees mee"}).status_code == 404
    assert anonymous.get(f"/coaching/{grant_id}/messages").status_code == 401
    assert anonymous.post(f"/coaching/{grant_id}/messages", data={"body": "x"}).status_code in (400, 401)
    assert learner.get("/coaching/999999/messages").status_code == 404
    assert _count(db) == 1


def test_after_revoking_the_coach_is_out_and_the_learner_can_still_read(db, learner, second_learner, grant_id):
    learner.post(f"/coaching/{grant_id}/messages", {"body": "Tot volgende week"})
    assert learner.post(f"/portfolio/coaches/{grant_id}/revoke").status_code == 302
    assert second_learner.get(f"/coaching/{grant_id}/messages").status_code == 404
    assert second_learner.post(f"/coaching/{grant_id}/messages", {"body": "nog één ding"}).status_code == 404
    page = learner.get(f"/coaching/{grant_id}/messages").get_data(as_text=True)
    assert "Tot volgende week" in page and "no new ones can be sent" in page
    assert learner.post(f"/coaching/{grant_id}/messages", {"body": "nog één ding"}).status_code == 400
    assert _count(db) == 1
    # A new grant is a new conversation: the coach does not get the old one back.
    again = _grant(learner, second_learner)
    assert again != grant_id
    assert db.get(CoachGrant, grant_id).revoked_at is not None
