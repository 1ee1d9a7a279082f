"""Package validation: manifests, limits and paths, each with the message a person can act on."""

from __future__ import annotations

import io
import zipfile

import pytest

from lti_tool.modules.archive import PackageError, PackageLimits, check_package

TINCAN = b"""<?xml version="1.0" encoding="utf-8"?>
<tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>
  <activity id="https://example.org/modules/safety" type="http://adlnet.gov/expapi/activities/course">
    <name>Safety at work</name><description lang="und">Basics</description>
    <launch lang="und">index_lms.html</launch>
  </activity>
  <activity id="https://example.org/modules/safety/q1" type="http://adlnet.gov/expapi/activities/cmi.interaction">
    <name>Question 1</name>
  </activity>
</activities></tincan>"""

CMI5 = b"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/cmi5/course">
    <title><langstring lang="nl-NL">Cursus</langstring></title>
    <description><langstring lang="nl-NL">Twee onderdelen</langstring></description>
  </course>
  <block id="https://example.org/cmi5/block1">
    <title><langstring lang="nl-NL">Blok 1</langstring></title>
    <au id="https://example.org/cmi5/au1" moveOn="Completed">
      <title><langstring lang="nl-NL">Lezen</langstring></title><url>au1/index.html?x=1</url>
    </au>
  </block>
  <au id="https://example.org/cmi5/au2" moveOn="Passed" masteryScore="0.8" launchMethod="OwnWindow">
    <title><langstring lang="nl-NL">Toets</langstring></title><url>au2/index.html</url>
    <launchParameters>{"level":2}</launchParameters>
  </au>
</courseStructure>"""


def make_zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_tincan_package_is_read_with_its_launch_activity():
    checked = check_package(make_zip({"tincan.xml": TINCAN, "index_lms.html": b"<html></html>"}))
    manifest = checked.manifest
    assert manifest.kind == "tincan"
    assert [u.activity_id for u in manifest.units] == ["https://example.org/modules/safety"]
    assert manifest.units[0].url == "index_lms.html"
    assert manifest.title == "Safety at work"


def test_cmi5_package_keeps_blocks_aus_and_their_rules_in_order():
    files = {"cmi5.xml": CMI5, "au1/index.html": b"", "au2/index.html": b""}
    manifest = check_package(make_zip(files)).manifest
    assert manifest.kind == "cmi5"
    assert manifest.course_id == "https://example.org/cmi5/course"
    assert [b.block_id for b in manifest.blocks] == ["https://example.org/cmi5/block1"]
    first, second = manifest.units
    assert (first.move_on, first.block_ids, first.url) == ("Completed", ["https://example.org/cmi5/block1"], "au1/index.html?x=1")
    assert (second.move_on, second.mastery_score, second.launch_method) == ("Passed", 0.8, "OwnWindow")
    assert second.launch_parameters == '{"level":2}'


def test_a_file_that_is_not_a_zip_is_refused():
    with pytest.raises(PackageError, match="not a zip archive"):
        check_package(io.BytesIO(b"%PDF-1.7"))


def test_a_package_without_manifest_is_refused():
    with pytest.raises(PackageError, match="no tincan.xml or cmi5.xml"):
        check_package(make_zip({"index.html": b""}))


def test_a_malformed_manifest_is_refused_with_the_parser_message():
    with pytest.raises(PackageError, match="not well-formed XML"):
        check_package(make_zip({"tincan.xml": b"<tincan><activities>", "index.html": b""}))


def test_an_xml_entity_bomb_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><tincan>&b;</tincan>'
    with pytest.raises(PackageError):
        check_package(make_zip({"tincan.xml": bomb}))


def test_a_missing_launch_file_is_named():
    with pytest.raises(PackageError, match="'index_lms.html'.*missing"):
        check_package(make_zip({"tincan.xml": TINCAN}))


@pytest.mark.parametrize("name", ["../evil.html", "a/../../evil.html", "/etc/passwd", "C:/evil.html", "a\\..\\evil.html"])
def test_paths_escaping_the_package_are_refused(name):
    with pytest.raises(PackageError, match="path|file name"):
        check_package(make_zip({"tincan.xml": TINCAN, "index_lms.html": b"", name: b"x"}))


def test_duplicate_activity_ids_are_refused():
    duplicate = CMI5.replace(b"https://example.org/cmi5/au2", b"https://example.org/cmi5/au1")
    with pytest.raises(PackageError, match="more than once"):
        check_package(make_zip({"cmi5.xml": duplicate, "au1/index.html": b"", "au2/index.html": b""}))


def test_file_count_limit_is_enforced():
    files = {"tincan.xml": TINCAN, "index_lms.html": b"", **{f"f{i}.txt": b"" for i in range(5)}}
    with pytest.raises(PackageError, match="7 files; at most 5"):
        check_package(make_zip(files), PackageLimits(max_files=5))


def test_total_size_limit_is_enforced():
    files = {"tincan.xml": TINCAN, "index_lms.html": b"", "video.mp4": b"\x01" * 3 * 1024 * 1024}
    with pytest.raises(PackageError, match="at most 1 MB"):
        check_package(make_zip(files, zipfile.ZIP_STORED), PackageLimits(max_total_bytes=1024 * 1024))


def test_zip_bomb_ratio_is_refused():
    files = {"tincan.xml": TINCAN, "index_lms.html": b"", "zeros.bin": b"\x00" * 5 * 1024 * 1024}
    with pytest.raises(PackageError, match="expands suspiciously"):
        check_package(make_zip(files))


def test_invalid_move_on_and_mastery_score_are_refused():
    bad_move_on = CMI5.replace(b'moveOn="Passed"', b'moveOn="Whenever"')
    with pytest.raises(PackageError, match="moveOn 'Whenever'"):
        check_package(make_zip({"cmi5.xml": bad_move_on, "au1/index.html": b"", "au2/index.html": b""}))
    bad_mastery = CMI5.replace(b'masteryScore="0.8"', b'masteryScore="80"')
    with pytest.raises(PackageError, match="between 0 and 1"):
        check_package(make_zip({"cmi5.xml": bad_mastery, "au1/index.html": b"", "au2/index.html": b""}))


def test_activity_ids_must_be_iris():
    with pytest.raises(PackageError, match="must be an IRI"):
        check_package(make_zip({"tincan.xml": TINCAN.replace(b"https://example.org/modules/safety\"", b"safety\""), "index_lms.html": b""}))
