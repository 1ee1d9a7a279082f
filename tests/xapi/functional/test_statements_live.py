"""The statements resource over real HTTP: the `tincan` client, and concurrent writers."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select
from tincan import Activity, Agent, RemoteLRS, Statement, Verb
from werkzeug.serving import make_server

from tests.xapi.conftest import make_statement, new_id
from xapi.models import Statement as StatementRow


@pytest.fixture
def live_server(app):
    """The whole application served on 127.0.0.1 by a threaded WSGI server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def remote(live_server, lrs_credential):
    return RemoteLRS(endpoint=live_server + "/xapi/", version="1.0.3", username=lrs_credential.key, password=lrs_credential.secret)


def tincan_statement(verb="http://adlnet.gov/expapi/verbs/experienced", email="sanne@example.nl"):
    return Statement(
        actor=Agent(name="Sanne", mbox=f"mailto:{email}"),
        verb=Verb(id=verb, display={"en-US": "experienced"}),
        object=Activity(id="https://leerpaspoort.example/activities/intro"),
    )


def test_tincan_client_saves_and_retrieves_a_statement(remote):
    saved = remote.save_statement(tincan_statement())
    assert saved.success, saved.data
    statement_id = str(saved.content.id)
    fetched = remote.retrieve_statement(statement_id)
    assert fetched.success, fetched.data
    assert str(fetched.content.id) == statement_id
    assert fetched.content.actor.mbox == "mailto:sanne@example.nl"
    assert fetched.content.authority is not None


def test_tincan_client_saves_a_batch_and_pages_with_more(remote):
    saved = remote.save_statements([tincan_statement() for _ in range(5)])
    assert saved.success, saved.data
    first = remote.query_statements({"limit": 2, "agent": Agent(mbox="mailto:sanne@example.nl")})
    assert first.success, first.data
    seen = [str(s.id) for s in first.content.statements]
    more = first.content.more
    while more:
        page = remote.more_statements(more)
        assert page.success, page.data
        seen += [str(s.id) for s in page.content.statements]
        more = page.content.more
    assert sorted(seen) == sorted(str(s.id) for s in saved.content)


def test_tincan_client_voids_a_statement(remote):
    from tincan import StatementRef

    saved = remote.save_statement(tincan_statement())
    voiding = Statement(
        actor=Agent(mbox="mailto:sanne@example.nl"),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/voided"),
        object=StatementRef(id=saved.content.id),
    )
    assert remote.save_statement(voiding).success
    assert not remote.retrieve_statement(str(saved.content.id)).success
    voided = remote.retrieve_voided_statement(str(saved.content.id))
    assert voided.success and str(voided.content.id) == str(saved.content.id)


def test_tincan_client_with_a_wrong_secret_fails(live_server, lrs_credential):
    wrong = RemoteLRS(endpoint=live_server + "/xapi/", version="1.0.3", username=lrs_credential.key, password="wrong")
    response = wrong.save_statement(tincan_statement())
    assert not response.success
    assert response.response.status == 401


def _session(lrs_credential):
    session = requests.Session()
    session.auth = (lrs_credential.key, lrs_credential.secret)
    session.headers["X-Experience-API-Version"] = "1.0.3"
    return session


def test_concurrent_writers_of_the_same_id_store_it_once(live_server, lrs_credential, db):
    statement = make_statement(id=new_id())

    def put(_):
        with _session(lrs_credential) as session:
            return session.put(
                f"{live_server}/xapi/statements", params={"statementId": statement["id"]}, json=statement, timeout=30
            ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(put, range(16)))
    assert statuses == [204] * 16
    assert db.scalar(select(func.count()).select_from(StatementRow)) == 1


def test_concurrent_writers_of_one_id_with_different_content_get_409(live_server, lrs_credential, db):
    statement_id = new_id()

    def put(index):
        body = make_statement(id=statement_id, result={"response": f"answer {index}"})
        with _session(lrs_credential) as session:
            return session.put(f"{live_server}/xapi/statements", params={"statementId": statement_id}, json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(put, range(8)))
    assert statuses == [204] + [409] * 7
    assert db.scalar(select(func.count()).select_from(StatementRow)) == 1


def test_paging_stays_stable_while_other_clients_insert(live_server, lrs_credential):
    registration = str(uuid.uuid4())
    with _session(lrs_credential) as session:
        posted = session.post(
            f"{live_server}/xapi/statements",
            json=[make_statement(context={"registration": registration}) for _ in range(30)],
            timeout=30,
        ).json()
        stop = threading.Event()

        def keep_inserting():
            with _session(lrs_credential) as writer:
                while not stop.is_set():
                    writer.post(f"{live_server}/xapi/statements", json=make_statement(context={"registration": registration}), timeout=30)

        inserter = threading.Thread(target=keep_inserting)
        inserter.start()
        try:
            seen, url = [], f"{live_server}/xapi/statements?registration={registration}&limit=7"
            while url:
                body = session.get(url, timeout=30).json()
                seen += [s["id"] for s in body["statements"]]
                url = live_server + body["more"] if body["more"] else ""
                if len(seen) > 200:
                    break
        finally:
            stop.set()
            inserter.join()
    assert len(seen) == len(set(seen)), "a statement was served twice"
    assert set(posted) <= set(seen)
    assert seen[-len(posted):] == list(reversed(posted))
