"""Attachments (Communication 1.5.2): multipart/mixed bodies, hashes, fileUrl, signed statements."""

from __future__ import annotations

import hashlib
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from tests.xapi.conftest import make_statement, new_id
from xapi.models import Attachment, Statement
from xapi.multipart import parse_multipart, boundary_of

CERTIFICATE = "http://id.tincanapi.com/attachment/certificate-of-completion"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
PDF = b"%PDF-1.4\r\n\x00\x01binary\r\n--not-a-boundary\r\n\xff"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attachment(content: bytes = PDF, **overrides) -> dict:
    meta = {
        "usageType": CERTIFICATE,
        "display": {"en-US": "Certificate"},
        "contentType": "application/pdf",
        "length": len(content),
        "sha2": sha(content),
    }
    meta.update(overrides)
    return meta


def multipart(statements, parts, *, boundary="abc123xyz", encoding="binary"):
    chunks = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode() + json.dumps(statements).encode() + b"\r\n"]
    for content, headers in parts:
        head = {"Content-Type": "application/pdf", "X-Experience-API-Hash": sha(content)}
        if encoding:
            head["Content-Transfer-Encoding"] = encoding
        head.update(headers)
        lines = "".join(f"{name}: {value}\r\n" for name, value in head.items() if value is not None)
        chunks.append(f"--{boundary}\r\n{lines}\r\n".encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'


def send(lrs, statements, parts, **options):
    body, content_type = multipart(statements, parts, **options)
    return lrs.post("statements", data=body, content_type=content_type)


def counts(db):
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Statement)),
        db.scalar(select(func.count()).select_from(Attachment)),
    )


def test_statement_with_attachment_part_is_stored_with_its_content(lrs, db):
    statement_id = new_id()
    response = send(lrs, make_statement(id=statement_id, attachments=[attachment()]), [(PDF, {})])
    assert response.status_code == 200, response.get_data(as_text=True)
    stored = db.scalars(select(Attachment)).one()
    assert stored.content == PDF and stored.sha2 == sha(PDF) and stored.content_type == "application/pdf"


def test_attachments_true_returns_multipart_with_the_exact_bytes(lrs):
    statement_id = new_id()
    send(lrs, make_statement(id=statement_id, attachments=[attachment()]), [(PDF, {})])
    response = lrs.get(f"statements?statementId={statement_id}&attachments=true")
    assert response.status_code == 200
    assert response.mimetype == "multipart/mixed"
    parts = parse_multipart(response.get_data(), boundary_of(response.headers["Content-Type"]))
    assert json.loads(parts[0].body)["id"] == statement_id
    assert parts[1].body == PDF
    assert parts[1].headers["x-experience-api-hash"] == sha(PDF)
    assert parts[1].headers["content-transfer-encoding"] == "binary"
    query = lrs.get("statements?attachments=true")
    query_parts = parse_multipart(query.get_data(), boundary_of(query.headers["Content-Type"]))
    assert json.loads(query_parts[0].body)["statements"][0]["id"] == statement_id
    assert query_parts[1].body == PDF


def test_attachments_false_returns_json_only(lrs):
    statement_id = new_id()
    send(lrs, make_statement(id=statement_id, attachments=[attachment()]), [(PDF, {})])
    response = lrs.get(f"statements?statementId={statement_id}")
    assert response.mimetype == "application/json"


def test_part_whose_content_does_not_match_its_hash_header_is_400(lrs, db):
    response = send(lrs, make_statement(attachments=[attachment()]), [(PDF, {"X-Experience-API-Hash": sha(b"other")})])
    assert response.status_code == 400
    assert counts(db) == (0, 0)


def test_part_with_a_hash_that_matches_no_attachment_is_400(lrs, db):
    response = send(lrs, make_statement(attachments=[attachment()]), [(PDF, {}), (b"extra", {})])
    assert response.status_code == 400
    assert "matches no attachment" in response.get_json()["error"]["message"]
    assert counts(db) == (0, 0)


def test_attachment_without_file_url_and_without_part_is_400(lrs, db):
    response = send(lrs, make_statement(attachments=[attachment()]), [])
    assert response.status_code == 400
    assert response.get_json()["error"]["property"] == "statements[0].attachments[0].sha2"
    json_only = lrs.post("statements", json_body=make_statement(attachments=[attachment()]))
    assert json_only.status_code == 400
    assert counts(db) == (0, 0)


def test_part_without_hash_header_is_400(lrs, db):
    response = send(lrs, make_statement(attachments=[attachment()]), [(PDF, {"X-Experience-API-Hash": None})])
    assert response.status_code == 400
    assert counts(db) == (0, 0)


def test_part_without_binary_transfer_encoding_is_400(lrs, db):
    response = send(lrs, make_statement(attachments=[attachment()]), [(PDF, {})], encoding=None)
    assert response.status_code == 400
    assert counts(db) == (0, 0)


def test_file_url_only_attachment_needs_no_part(lrs, db):
    only_url = attachment(fileUrl="https://files.example.nl/certificate.pdf")
    assert lrs.post("statements", json_body=make_statement(attachments=[only_url])).status_code == 200
    assert counts(db) == (1, 0)


def test_first_part_must_be_json(lrs, db):
    body = b'--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n'
    response = lrs.post("statements", data=body, content_type='multipart/mixed; boundary="b"')
    assert response.status_code == 400
    assert counts(db) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [b"no boundary here", b"--abc123xyz\r\nContent-Type: application/json\r\n\r\n{}", b"--abc123xyz\r\nbroken header\r\n\r\n{}\r\n--abc123xyz--"],
)
def test_malformed_multipart_is_400(lrs, db, body):
    response = lrs.post("statements", data=body, content_type='multipart/mixed; boundary="abc123xyz"')
    assert response.status_code == 400
    assert counts(db) == (0, 0)


def test_put_accepts_multipart_too(lrs):
    statement_id = new_id()
    body, content_type = multipart(make_statement(attachments=[attachment()]), [(PDF, {})])
    response = lrs.put(f"statements?statementId={statement_id}", data=body, content_type=content_type)
    assert response.status_code == 204


# --- signed statements (Data 2.6) -------------------------------------------------------------


def signed(statement: dict, payload: dict | None = None) -> tuple[dict, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jws = jwt.encode(payload if payload is not None else statement, key, algorithm="RS256").encode()
    meta = attachment(jws, usageType=SIGNATURE, contentType="application/octet-stream", display={"en-US": "Signature"})
    return {**statement, "attachments": [meta]}, jws


def test_signed_statement_with_matching_payload_is_stored(lrs):
    statement = make_statement(id=new_id())
    with_signature, jws = signed(statement)
    response = send(lrs, with_signature, [(jws, {"Content-Type": "application/octet-stream"})])
    assert response.status_code == 200, response.get_data(as_text=True)


def test_signed_statement_whose_payload_differs_is_400(lrs, db):
    statement = make_statement(id=new_id())
    with_signature, jws = signed(statement, payload={**statement, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}})
    response = send(lrs, with_signature, [(jws, {"Content-Type": "application/octet-stream"})])
    assert response.status_code == 400
    assert "signature" in response.get_json()["error"]["message"].lower()
    assert counts(db) == (0, 0)


def test_signature_that_is_not_a_jws_is_400(lrs, db):
    statement = make_statement(id=new_id())
    junk = b"this is not a JWS"
    meta = attachment(junk, usageType=SIGNATURE, contentType="application/octet-stream")
    response = send(lrs, {**statement, "attachments": [meta]}, [(junk, {"Content-Type": "application/octet-stream"})])
    assert response.status_code == 400
    assert counts(db) == (0, 0)
