"""The whole interface in Japanese: a complete catalogue, Japanese labels and dates, content in the viewer's language."""

import gettext
import os
import re
import shutil
import subprocess
import zoneinfo
from datetime import datetime
from pathlib import Path

import pytest

from tests.factories import MeetingFactory, UserFactory, WorkingGroupFactory

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "ja" / "LC_MESSAGES" / "django.po"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def catalogue_entries() -> list[tuple[str, str, bool, bool]]:
    """(msgid, every msgstr joined, fuzzy, plural) for each entry but the header."""
    entries = []
    for block in re.split(r"\n\s*\n", CATALOGUE.read_text(encoding="utf-8")):
        if "msgid" not in block or block.lstrip().startswith("#~"):
            continue
        source, _, translated = block.partition("\nmsgstr")
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', source.split("msgid_plural")[0], re.M))
        msgstr = "".join(re.findall(r'"(.*)"', translated))
        fuzzy = bool(re.search(r"^#,.*\bfuzzy\b", block, re.M))
        if msgid:
            entries.append((msgid, msgstr, fuzzy, "msgid_plural" in source))
    return entries


def test_every_entry_of_the_japanese_catalogue_is_translated_and_none_is_fuzzy():
    entries = catalogue_entries()
    assert len(entries) > 100
    assert [msgid for msgid, msgstr, _, _ in entries if not msgstr] == []
    assert [msgid for msgid, _, fuzzy, _ in entries if fuzzy] == []


def test_msgfmt_check_finds_no_untranslated_or_fuzzy_entry(tmp_path):
    if shutil.which("msgfmt") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but GNU gettext's msgfmt is missing")
        pytest.skip("needs GNU gettext (msgfmt)")
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(CATALOGUE)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr
    assert re.search(r"^\d+ translated messages\.$", result.stderr.strip(), re.M)


def test_the_compiled_catalogue_is_up_to_date_with_its_source():
    with open(CATALOGUE.with_suffix(".mo"), "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    singular = [msgid for msgid, _, _, plural in catalogue_entries() if not plural and "\\" not in msgid]
    stale = [msgid for msgid in singular if translations.gettext(msgid) == msgid]
    assert stale == [], "run `make messages` to compile the catalogue"


@pytest.mark.django_db
def test_the_schedule_in_japanese_has_japanese_labels_and_dates(client):
    group = WorkingGroupFactory(slug="ship-repair", name_en="Ship repair and maintenance", name_ja="艦船の補修・整備")
    MeetingFactory(title_en="First working-group meeting", title_ja="第1回作業部会", working_group=group,
                   starts_at=datetime(2024, 6, 11, 10, 0, tzinfo=TOKYO))
    client.cookies["viewer_tz"] = "Asia/Tokyo"
    page = client.get("/meetings/?when=past", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="ja">' in page
    for label in ("会合日程", "作業部会", "絞り込む", "過去の会合"):
        assert label in page, label
    assert "第1回作業部会" in page and "First working-group meeting" not in page
    assert "2024年6月11日" in page
    assert "Schedule" not in page and "Apply filters" not in page


@pytest.mark.django_db
def test_content_without_a_japanese_text_falls_back_to_english(client):
    meeting = MeetingFactory(title_en="Untranslated briefing", title_ja="")
    page = client.get(meeting.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Untranslated briefing" in page


@pytest.mark.django_db
def test_the_language_switch_is_remembered_in_the_profile_of_a_signed_in_person(client):
    person = UserFactory(role="official")
    client.force_login(person)
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/meetings/"})
    assert response.status_code == 302
    person.profile.refresh_from_db()
    assert person.profile.preferred_language == "ja"
    # A new session (another device) with an English browser still gets Japanese.
    client.logout()
    client.cookies.clear()
    client.force_login(person)
    assert "会合日程" in client.get("/meetings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_a_visitor_switches_language_by_cookie(client):
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert '<html lang="ja">' in client.get("/meetings/").content.decode()


@pytest.mark.django_db
def test_an_unknown_language_is_refused_with_a_message(client):
    response = client.post("/i18n/setlang/", {"language": "klingon", "next": "/meetings/"}, follow=True)
    assert "That language is not offered." in response.content.decode()
