"""Our signing keys are parsed once per process, per key: rotation can never sign with a stale one."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import RSAAlgorithm

from lti_tool.lti import keys
from lti_tool.lti.models import ToolKey


def _public(key: ToolKey):
    return RSAAlgorithm.from_jwk(json.dumps(key.public_jwk))


def test_the_same_tool_key_is_parsed_once_and_reused():
    key = keys._new_key()

    first = keys.private_key_object(key)

    assert keys.private_key_object(key) is first


def test_the_parsed_key_signs_what_the_published_public_key_verifies():
    key = keys._new_key()

    token = jwt.encode({"sub": "tool"}, keys.private_key_object(key), algorithm="RS256", headers={"kid": key.kid})

    assert jwt.decode(token, _public(key), algorithms=["RS256"]) == {"sub": "tool"}


def test_a_rotated_key_gets_its_own_parsed_key_and_the_old_one_cannot_stand_in():
    old, new = keys._new_key(), keys._new_key()

    token = jwt.encode({"sub": "tool"}, keys.private_key_object(new), algorithm="RS256")

    assert keys.private_key_object(new) is not keys.private_key_object(old)
    assert jwt.decode(token, _public(new), algorithms=["RS256"]) == {"sub": "tool"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, _public(old), algorithms=["RS256"])


def test_a_key_row_whose_pem_is_not_rsa_is_refused():
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    broken = ToolKey(kid="not-rsa", private_pem=pem, public_jwk={}, status="active")

    with pytest.raises(keys.KeyError_, match="not an RSA key"):
        keys.private_key_object(broken)
