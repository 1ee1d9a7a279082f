"""Single-value formats: IRIs, mailto, UUIDs, language tags, durations, timestamps, hashes, media types."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xapi.validation import StatementValidationError, parse_timestamp, validate_iri, validate_language_map, validate_uuid
from xapi.validation.primitives import (
    is_duration,
    is_iri,
    is_language_tag,
    is_mailto,
    is_media_type,
    is_sha1_hex,
    is_sha2_hex,
    is_statement_version,
    is_uuid,
)


@pytest.mark.parametrize(
    "value",
    [
        "http://adlnet.gov/expapi/verbs/completed",
        "https://example.com/activities/1?x=1&y=2#part",
        "urn:uuid:0e4b2c3a-1f5d-4c8e-9a7b-3d2f1e0c9b8a",
        "tag:example.com,2024:course",
        "https://example.com/%C3%A4",
        "https://voorbeeld.nl/cursus/één",
        "http://example.com:8080/path;params",
        "mailto:someone@example.com",
        "ftp://files.example.com/a.zip",
        "http://user@example.com/",
        "https://[::1]/x",
    ],
)
def test_iri_accepts_absolute_iris(value):
    assert is_iri(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "should fail",
        "ab-c",
        "example.com/verbs/x",
        "/relative/path",
        "http://example.com/with space",
        "http://example.com/<tag>",
        'http://example.com/"quoted"',
        "http://example.com/%zz",
        "http://example.com/%4",
        "http://example.com/a#b#c",
        "http://",
        "https:///no-host",
        "http:no-slashes",
        "1http://example.com",
        "http://example.com/\n",
        "http://example.com/{x}",
        "http://example.com/a|b",
        "http://example.com/a\\b",
        "urn:",
        "ab=c://should.fail.com",  # "=" cannot appear in a scheme (conformance suite)
        "should error",
    ],
)
def test_iri_rejects_malformed_or_relative_values(value):
    assert not is_iri(value)


def test_validate_iri_names_the_path_and_rule():
    with pytest.raises(StatementValidationError) as caught:
        validate_iri("not an iri", "statement.verb.id")
    assert caught.value.path == "statement.verb.id"
    assert "IRI" in caught.value.rule


@pytest.mark.parametrize("value", [42, None, {"id": "x"}, ["http://a.b"]])
def test_validate_iri_rejects_non_strings(value):
    with pytest.raises(StatementValidationError, match="IRI"):
        validate_iri(value, "p")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("mailto:fenna@example.nl", True),
        ("mailto:first.last+tag@sub.example.co.uk", True),
        ("fenna@example.nl", False),
        ("mailto:", False),
        ("mailto:fenna", False),
        ("mailto:@example.nl", False),
        ("mailto:fenna@", False),
        ("mailto:a@b@c", False),
        ("mailto:fenna @example.nl", False),
        ("MAILTO:fenna@example.nl", False),
        ("mailto:fenna@example.nl?subject=hi", False),
        ("http://example.nl", False),
    ],
)
def test_mailto(value, expected):
    assert is_mailto(value) is expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("ebd31e95054c018b10727ccffd2ef2ec3a016ee9", True),
        ("EBD31E95054C018B10727CCFFD2EF2EC3A016EE9", True),
        ("ebd31e95054c018b10727ccffd2ef2ec3a016ee", False),
        ("ebd31e95054c018b10727ccffd2ef2ec3a016ee9a", False),
        ("gbd31e95054c018b10727ccffd2ef2ec3a016ee9", False),
        ("", False),
    ],
)
def test_sha1_hex(value, expected):
    assert is_sha1_hex(value) is expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0e4b2c3a-1f5d-4c8e-9a7b-3d2f1e0c9b8a", True),
        ("0E4B2C3A-1F5D-4C8E-9A7B-3D2F1E0C9B8A", True),
        ("AA97B177-9383-4934-8543-0F91A7A028368", False),  # one digit too many (conformance suite)
        ("MA97B177-9383-4934-8543-0F91A7A02836", False),  # a letter beyond F (conformance suite)
        ("0e4b2c3a1f5d4c8e9a7b3d2f1e0c9b8a", False),  # not the standard string form
        ("{0e4b2c3a-1f5d-4c8e-9a7b-3d2f1e0c9b8a}", False),
        ("urn:uuid:0e4b2c3a-1f5d-4c8e-9a7b-3d2f1e0c9b8a", False),
        ("", False),
    ],
)
def test_uuid_standard_string_form(value, expected):
    assert is_uuid(value) is expected


@pytest.mark.parametrize("value", [12345, {"key": "should fail"}, None, True])
def test_validate_uuid_rejects_non_strings(value):
    with pytest.raises(StatementValidationError) as caught:
        validate_uuid(value, "statement.id")
    assert caught.value.path == "statement.id"
    assert "UUID" in caught.value.rule


@given(st.uuids())
def test_every_generated_uuid_is_accepted_in_both_cases(value):
    assert is_uuid(str(value))
    assert is_uuid(str(value).upper())


# Accepted and rejected tags come from RFC 5646 appendix A and the conformance suite (XAPI-00013).
@pytest.mark.parametrize(
    "tag",
    [
        "de",
        "en-US",
        "nl-NL",
        "fy",
        "i-enochian",
        "ine",
        "cmn",
        "ase",
        "zh-Hant",
        "sr-Latn",
        "sr-Cyrl",
        "zh-cmn-Hans-CN",
        "zh-Hans-CN",
        "sr-Latn-RS",
        "sl-rozaj-biske",
        "de-CH-1901",
        "hy-Latn-IT-arevela",
        "de-DE",
        "es-MX",
        "es-419",
        "fr-CA",
        "ja",
        "az-Arab-x-AZE-derbend",
        "x-whatever",
        "qaa-Qaaa-QM-x-southern",
        "de-Qaaa",
        "sr-Latn-QM",
        "sr-Qaaa-RS",
        "en-US-u-islamcal",
        "zh-CN-a-myext-x-private",
        "en-a-myext-b-another",
        "en-GB-oed",
        "art-lojban",
        "zh-min-nan",
        "EN-us",
        "tlh",
    ],
)
def test_language_tag_accepts_well_formed_tags(tag):
    assert is_language_tag(tag)


@pytest.mark.parametrize(
    "tag",
    [
        "",
        "something",  # nine letters: longer than any primary subtag
        "de-419-DE",  # two region subtags
        "a-DE",  # single-character primary subtag
        "ar-a-aaa-b-bbb-a-ccc",  # repeated extension singleton
        "zh-z-aaa-z-bbb-c-ccc",
        "de-1901-1901",  # repeated variant
        "en_US",
        "en-",
        "-en",
        "en--US",
        "supercalifragilisticexpialidociouswhatabouthhhhhhh",
        "en-US-x",
        "x",
        "123",
        "en US",
    ],
)
def test_language_tag_rejects_malformed_tags(tag):
    assert not is_language_tag(tag)


@pytest.mark.parametrize(
    "value, path, fragment",
    [
        ({"de-419-DE": "besucht"}, 'display["de-419-DE"]', "language tag"),
        ({"something": "besucht"}, "display.something", "language tag"),
        ({"en-US": None}, 'display["en-US"]', "must be a string"),
        ({"en-US": 5}, 'display["en-US"]', "must be a string"),
        ({"a12345": "should error"}, "display.a12345", "language tag"),
        ({}, "display", "at least one entry"),
        ("completed", "display", "language map"),
        (["en-US"], "display", "language map"),
        (None, "display", "language map"),
    ],
)
def test_validate_language_map_rejects(value, path, fragment):
    with pytest.raises(StatementValidationError) as caught:
        validate_language_map(value, "display")
    assert caught.value.path == path
    assert fragment in caught.value.rule


def test_validate_language_map_rejects_an_empty_map():
    with pytest.raises(StatementValidationError) as caught:
        validate_language_map({}, "statement.verb.display")
    assert caught.value.path == "statement.verb.display"
    assert "at least one entry" in caught.value.rule


def test_validate_language_map_accepts_several_languages():
    validate_language_map({"en-US": "completed", "nl": "voltooid", "de-CH-1901": "abgeschlossen"}, "display")


@pytest.mark.parametrize(
    "value",
    ["PT1H0M0.1S", "PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W", "PT0S", "P1D", "PT1.5H", "P0D", "PT10M", "P1Y2M", "PT0,5S"],
)
def test_duration_accepts_iso_8601(value):
    assert is_duration(value)


@pytest.mark.parametrize(
    "value", ["", "P", "PT", "PA1H0M0S", "should fail", "1H", "PT1H0M0.1", "P1.5DT1H", "PT1.5H30M", "-PT1H", "P1W2D", "pt1h", "PT1S1M", "P1M1Y"]
)
def test_duration_rejects_non_iso_8601(value):
    assert not is_duration(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2013-05-18T05:32:34.804Z", datetime(2013, 5, 18, 5, 32, 34, 804000, tzinfo=timezone.utc)),
        ("2013-05-18T05:32:34.804+00:00", datetime(2013, 5, 18, 5, 32, 34, 804000, tzinfo=timezone.utc)),
        ("2013-05-18T07:32:34+02:00", datetime(2013, 5, 18, 5, 32, 34, tzinfo=timezone.utc)),
        ("2013-05-18T07:32:34+0200", datetime(2013, 5, 18, 5, 32, 34, tzinfo=timezone.utc)),
        ("2013-05-18T03:32:34-02", datetime(2013, 5, 18, 5, 32, 34, tzinfo=timezone.utc)),
        ("2013-05-18T05:32:34.123456789Z", datetime(2013, 5, 18, 5, 32, 34, 123456, tzinfo=timezone.utc)),
        ("2013-05-18T05:32Z", datetime(2013, 5, 18, 5, 32, tzinfo=timezone.utc)),
        ("20130518T053234Z", datetime(2013, 5, 18, 5, 32, 34, tzinfo=timezone.utc)),
        ("2013-05-18t05:32:34z", datetime(2013, 5, 18, 5, 32, 34, tzinfo=timezone.utc)),
        ("2016-02-29T23:59:59.999+05:30", datetime(2016, 2, 29, 18, 29, 59, 999000, tzinfo=timezone.utc)),
    ],
)
def test_parse_timestamp_returns_aware_utc(value, expected):
    parsed = parse_timestamp(value, version="1.0.3")
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_timestamp_without_offset_is_utc_in_1_0_3_and_rejected_in_2_0_0():
    assert parse_timestamp("2013-05-18T05:32:34", version="1.0.3") == datetime(2013, 5, 18, 5, 32, 34, tzinfo=timezone.utc)
    with pytest.raises(StatementValidationError, match="offset"):
        parse_timestamp("2013-05-18T05:32:34", version="2.0.0")


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("should fail", "ISO 8601"),
        ("01/011/2015", "ISO 8601"),
        ("2008-09-15T15:53:00.601-00", "-00:00"),
        ("2008-09-15T15:53:00.601-0000", "-00:00"),
        ("2008-09-15T15:53:00.601-00:00", "-00:00"),
        ("2013-13-18T05:32:34Z", "real date"),
        ("2013-02-30T05:32:34Z", "real date"),
        ("2013-05-18T25:32:34Z", "real date"),
        ("2013-05-18T05:61:34Z", "real date"),
        ("2013-05-18", "ISO 8601"),
        ("2013-05-18 05:32:34Z", "ISO 8601"),
        ("2013-05-18T05:32:34+25:00", "offset"),
        ("2013-05-18T05:32:34+01:75", "offset"),
        ("0000-01-01T00:00:00Z", "real date"),
        ("", "ISO 8601"),
    ],
)
def test_parse_timestamp_rejects(value, fragment):
    with pytest.raises(StatementValidationError) as caught:
        parse_timestamp(value, version="1.0.3", path="statement.timestamp")
    assert caught.value.path == "statement.timestamp"
    assert fragment in caught.value.rule


@pytest.mark.parametrize("value", [1368855154, None, {"t": 1}, ["2013-05-18T05:32:34Z"]])
def test_parse_timestamp_rejects_non_strings(value):
    with pytest.raises(StatementValidationError, match="string"):
        parse_timestamp(value, version="1.0.3")


_aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30)), timezone(timedelta(hours=14))]
    )
)


@given(_aware_datetimes)
def test_isoformat_round_trips_through_parse_timestamp(moment):
    for version in ("1.0.3", "2.0.0"):
        assert parse_timestamp(moment.isoformat(), version=version) == moment


@given(_aware_datetimes)
def test_zulu_millisecond_form_round_trips(moment):
    utc = moment.astimezone(timezone.utc).replace(microsecond=moment.microsecond // 1000 * 1000)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    assert parse_timestamp(text, version="2.0.0") == utc


@pytest.mark.parametrize(
    "value, expected",
    [("a" * 64, True), ("A" * 64, True), ("a" * 56, True), ("a" * 96, True), ("a" * 128, True), ("a" * 63, False), ("a" * 40, False), ("g" * 64, False), ("", False)],
)
def test_sha2_hex(value, expected):
    assert is_sha2_hex(value) is expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("application/json", True),
        ("text/plain; charset=ascii", True),
        ("text/plain;charset=\"utf-8\"", True),
        ("application/vnd.ms-excel", True),
        ("image/svg+xml", True),
        ("application/octet-stream", True),
        ("text", False),
        ("text/", False),
        ("/plain", False),
        ("text/plain; charset", False),
        ("text plain", False),
        ("", False),
    ],
)
def test_media_type(value, expected):
    assert is_media_type(value) is expected


@pytest.mark.parametrize(
    "value, version, expected",
    [
        ("1.0", "1.0.3", True),
        ("1.0.0", "1.0.3", True),
        ("1.0.9", "1.0.3", True),
        ("1.0.10", "1.0.3", True),
        ("2.0.0", "1.0.3", False),
        ("0.9.9", "1.0.3", False),
        ("1.1.0", "1.0.3", False),
        ("should fail", "1.0.3", False),
        ("1.0.", "1.0.3", False),
        ("2.0.0", "2.0.0", True),
        ("2.0", "2.0.0", True),
        ("1.0.3", "2.0.0", True),
        ("2.1.0", "2.0.0", False),
        ("3.0.0", "2.0.0", False),
    ],
)
def test_statement_version(value, version, expected):
    assert is_statement_version(value, version=version) is expected


@given(st.from_regex(r"[a-z]{2,3}(-[A-Z]{2})?(-x-[a-z0-9]{1,8})?", fullmatch=True))
def test_generated_language_region_tags_are_accepted(tag):
    assert is_language_tag(tag)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=9, max_size=20))
def test_primary_subtags_longer_than_eight_letters_are_rejected(tag):
    assert not is_language_tag(tag)


def test_uuid_module_output_is_accepted():
    assert is_uuid(str(uuid.uuid1())) and is_uuid(str(uuid.uuid4())) and is_uuid(str(uuid.uuid5(uuid.NAMESPACE_URL, "x")))


def test_long_values_are_checked_without_being_kept_in_the_cache():
    from xapi.validation import primitives

    long_iri = "https://example.com/" + "a" * 10_000
    long_tag = "en-" + "-".join(["abcde"] * 200)
    iri_entries = primitives._is_iri_cached.cache_info().currsize
    tag_entries = primitives._is_language_tag_cached.cache_info().currsize
    assert is_iri(long_iri)
    assert not is_iri(long_iri + " ")
    assert not is_language_tag(long_tag + "-!")
    assert primitives._is_iri_cached.cache_info().currsize == iri_entries
    assert primitives._is_language_tag_cached.cache_info().currsize == tag_entries
