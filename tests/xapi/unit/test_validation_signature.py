"""Signed statements (Data 2.6): compact JWS, RS256/384/512, payload equal to the statement, x5c check."""

from __future__ import annotations

import base64
import copy
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.xapi.unit import base_statement
from xapi.validation import StatementValidationError, check_signature, statements_match


def _certificate(key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Leerpaspoort test signer")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


@pytest.fixture(scope="module")
def signer():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, _certificate(key)


def sign(payload, key, *, algorithm="RS256", x5c=None) -> bytes:
    headers = {"x5c": x5c} if x5c else None
    token = jwt.encode(payload, key, algorithm=algorithm, headers=headers)
    return token.encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict, payload) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}.{_b64(b'signature')}"


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_a_well_formed_signature_with_certificate_is_accepted(signer, algorithm):
    key, certificate = signer
    statement = base_statement()
    header = check_signature(statement, sign(statement, key, algorithm=algorithm, x5c=[certificate]))
    assert header["alg"] == algorithm


def test_a_signature_without_certificate_is_checked_for_structure_only(signer):
    key, _ = signer
    statement = base_statement()
    check_signature(statement, sign(statement, key))


def test_the_jws_may_arrive_as_text_with_surrounding_whitespace(signer):
    key, _ = signer
    statement = base_statement()
    check_signature(statement, "\r\n" + sign(statement, key).decode() + "\r\n")


def test_hmac_signatures_are_rejected():
    statement = base_statement()
    token = jwt.encode(statement, "a-shared-secret-that-is-long-enough-32b", algorithm="HS256").encode()
    with pytest.raises(StatementValidationError) as caught:
        check_signature(statement, token, path="statement.attachments[0]")
    assert caught.value.path == "statement.attachments[0]"
    assert "RS256, RS384 or RS512" in caught.value.rule


@pytest.mark.parametrize("algorithm", ["none", "ES256", "PS256", None, "rs256"])
def test_other_algorithms_are_rejected(algorithm):
    statement = base_statement()
    header = {"alg": algorithm} if algorithm is not None else {}
    with pytest.raises(StatementValidationError, match="RS256, RS384 or RS512"):
        check_signature(statement, unsigned_token(header, statement))


@pytest.mark.parametrize(
    "jws, fragment",
    [
        (b"", "compact serialization"),
        (b"only.two", "compact serialization"),
        (b"a.b.c.d", "compact serialization"),
        (b"a.b.", "compact serialization"),
        (b"a+b.c/d.e=f", "compact serialization"),
        (b'{"payload": "x", "signatures": []}', "not the JSON serialization"),
        (b"\xff\xfe.a.b", "ASCII"),
        (f"{_b64(b'not json')}.{_b64(b'{}')}.{_b64(b's')}".encode(), "JWS header"),
        (f"{_b64(b'[1]')}.{_b64(b'{}')}.{_b64(b's')}".encode(), "JWS header must be a JSON object"),
    ],
)
def test_malformed_jws_is_rejected(jws, fragment):
    with pytest.raises(StatementValidationError) as caught:
        check_signature(base_statement(), jws)
    assert fragment in caught.value.rule


def test_a_payload_that_is_not_json_is_rejected():
    header = _b64(json.dumps({"alg": "RS256"}).encode())
    token = f"{header}.{_b64(b'{broken json')}.{_b64(b's')}"
    with pytest.raises(StatementValidationError, match="JWS payload"):
        check_signature(base_statement(), token)


def test_a_payload_that_is_not_an_object_is_rejected():
    with pytest.raises(StatementValidationError, match="JSON serialization of the statement"):
        check_signature(base_statement(), unsigned_token({"alg": "RS256"}, ["statement"]))


def test_a_payload_for_another_statement_is_rejected(signer):
    key, certificate = signer
    statement = base_statement()
    other = copy.deepcopy(statement)
    other["verb"]["id"] = "http://adlnet.gov/expapi/verbs/failed"
    with pytest.raises(StatementValidationError, match="does not match"):
        check_signature(statement, sign(other, key, x5c=[certificate]))


def test_a_tampered_payload_fails_against_the_certificate(signer):
    key, certificate = signer
    statement = base_statement()
    header, _, signature = sign(statement, key, x5c=[certificate]).decode().split(".")
    forged = f"{header}.{_b64(json.dumps(statement, indent=1).encode())}.{signature}"
    with pytest.raises(StatementValidationError, match="does not verify"):
        check_signature(statement, forged)


def test_a_signature_from_another_key_fails_against_the_certificate(signer):
    _, certificate = signer
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    statement = base_statement()
    with pytest.raises(StatementValidationError, match="does not verify"):
        check_signature(statement, sign(statement, other_key, x5c=[certificate]))


@pytest.mark.parametrize("x5c", [[], "abc", ["not base64!"], [base64.b64encode(b"not a certificate").decode()], [1]])
def test_an_unreadable_x5c_header_is_rejected(signer, x5c):
    key, _ = signer
    statement = base_statement()
    header = {"alg": "RS256", "x5c": x5c}
    token = jwt.encode(statement, key, algorithm="RS256", headers=header)
    with pytest.raises(StatementValidationError, match="x5c"):
        check_signature(statement, token)


def test_a_certificate_without_an_rsa_key_is_rejected(signer):
    key, _ = signer
    ec_certificate = _certificate(ec.generate_private_key(ec.SECP256R1()))
    statement = base_statement()
    with pytest.raises(StatementValidationError, match="RSA key"):
        check_signature(statement, sign(statement, key, x5c=[ec_certificate]))


def test_properties_the_lrs_sets_are_ignored_when_comparing(signer):
    key, certificate = signer
    signed = base_statement()
    del signed["id"]
    received = base_statement()  # the LRS (or the client after signing) added an id
    received["authority"] = {"mbox": "mailto:lrs@example.nl"}
    received["stored"] = "2024-05-01T10:00:00Z"
    received["version"] = "1.0.3"
    received["attachments"] = [{"usageType": "http://adlnet.gov/expapi/attachments/signature"}]
    received["timestamp"] = "2024-05-01T10:00:00Z"
    check_signature(received, sign(signed, key, x5c=[certificate]))


@pytest.mark.parametrize(
    "change_signed, change_received",
    [
        (lambda s: s.update(timestamp="2024-05-01T12:00:00+02:00"), lambda s: s.update(timestamp="2024-05-01T10:00:00Z")),
        (lambda s: s["verb"].update(display={"en-US": "completed"}), lambda s: s["verb"].update(display={"nl-NL": "voltooid"})),
        (lambda s: s["object"].update(definition={"name": {"en": "A"}}), lambda s: s["object"].pop("definition")),
        (lambda s: s["object"].pop("objectType"), lambda s: None),
        (lambda s: s["actor"].pop("objectType"), lambda s: None),
        (lambda s: s["actor"].update(mbox="mailto:fenna@EXAMPLE.nl"), lambda s: None),
        (lambda s: s.update(id=s["id"].upper()), lambda s: None),
        (
            lambda s: s.update(actor={"objectType": "Group", "member": [{"mbox": "mailto:a@x.nl"}, {"mbox": "mailto:b@x.nl"}]}),
            lambda s: s.update(actor={"objectType": "Group", "member": [{"mbox": "mailto:b@x.nl"}, {"mbox": "mailto:a@x.nl"}]}),
        ),
        (
            lambda s: s.update(context={"contextActivities": {"parent": {"id": "http://x.nl/p"}}}),
            lambda s: s.update(context={"contextActivities": {"parent": [{"id": "http://x.nl/p", "objectType": "Activity"}]}}),
        ),
    ],
)
def test_differences_the_comparison_rules_allow_are_ignored(change_signed, change_received):
    signed, received = base_statement(), base_statement()
    change_signed(signed)
    change_received(received)
    assert statements_match(signed, received)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(id="0e4b2c3a-1f5d-4c8e-9a7b-3d2f1e0c9b8a"),
        lambda s: s.update(timestamp="2024-05-01T10:00:01Z"),
        lambda s: s["actor"].update(mbox="mailto:someone-else@example.nl"),
        lambda s: s["object"].update(id="http://example.com/other"),
        lambda s: s.update(result={"success": True}),
        lambda s: s.update(context={"registration": "0e4b2c3a-1f5d-4c8e-9a7b-3d2f1e0c9b8a"}),
        lambda s: s.update(result={"duration": "PT60M"}),
    ],
)
def test_real_differences_are_not_ignored(change):
    signed, received = base_statement(), base_statement()
    signed["timestamp"] = received["timestamp"] = "2024-05-01T10:00:00Z"
    change(received)
    assert not statements_match(signed, received)


def test_a_payload_with_a_different_shape_does_not_match():
    assert not statements_match({"actor": "x", "verb": {}, "object": {}}, base_statement())


def test_a_payload_that_is_not_a_valid_statement_is_rejected(signer):
    key, _ = signer
    statement = base_statement()
    payload = dict(statement, actor={"mbox": "not-mailto"})
    with pytest.raises(StatementValidationError) as caught:
        check_signature(statement, sign(payload, key), path="statement.attachments[1]")
    assert caught.value.path == "statement.attachments[1]"
    assert "not a valid statement" in caught.value.rule and "payload.actor.mbox" in caught.value.rule


def test_the_conformance_suite_signing_flow_is_accepted(signer):
    # The suite signs the statement without attachments, then adds the signature attachment.
    key, _ = signer
    statement = base_statement()
    jws = sign(statement, key)
    statement["attachments"] = [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signed by the Test Suite"},
            "contentType": "application/octet-stream",
            "length": len(jws),
            "sha2": "0" * 64,
        }
    ]
    check_signature(statement, jws)


def test_a_payload_with_broken_json_serialization_is_rejected(signer):
    # The suite's "breakJson" case: the first double quote of the serialization becomes a single quote.
    key, _ = signer
    statement = base_statement()
    broken = json.dumps(statement).replace('"', "'", 1)
    header = _b64(json.dumps({"alg": "RS256"}).encode())
    token = f"{header}.{_b64(broken.encode())}.{_b64(b'signature')}"
    with pytest.raises(StatementValidationError, match="JWS payload"):
        check_signature(statement, token)


def test_a_signed_2_0_statement_is_accepted_without_naming_the_version(signer):
    key, _ = signer
    statement = base_statement()
    statement["context"] = {"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:coach@example.nl"}}]}
    check_signature(statement, sign(statement, key))
    with pytest.raises(StatementValidationError, match="only in xAPI 2.0"):
        check_signature(statement, sign(statement, key), version="1.0.3")
    check_signature(statement, sign(statement, key), version="2.0.0")
