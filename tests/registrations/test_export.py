"""The attendee list the secretariat downloads: formula cells neutralised, Japanese intact,
a byte-order mark for Excel, and only for the secretariat."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forums.exports import FORMULA_TRIGGERS, neutralise
from forums.models import Registration
from forums.services import register
from tests.factories import OrganizationFactory

from .conftest import industry_rep

pytestmark = pytest.mark.django_db

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB=1", "\rCR=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Yamada", "山田 太郎", "Seto Marine (=Yokosuka)", "", "1+1", "a@b.example"])
def test_other_cells_are_left_alone(value):
    assert neutralise(value) == value


@given(st.text())
def test_no_cell_ever_starts_a_formula_and_nothing_else_is_lost(value):
    written = neutralise(value)
    assert not written.startswith(FORMULA_TRIGGERS)
    assert written in (value, "'" + value)


def read(response, *, bom: bool) -> list[list[str]]:
    body = response.content
    assert body.startswith("\ufeff".encode()) is bom
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig" if bom else "utf-8"), newline="")))


@pytest.fixture
def attendees(roundtable):
    shipyard = OrganizationFactory(name="=Seto Marine Engineering K.K.", name_ja="瀬戸マリンエンジニアリング株式会社")
    yamada = industry_rep(shipyard, full_name="Taro Yamada", full_name_ja="山田 太郎", job_title="-Director")
    attacker = industry_rep(full_name="=CMD|' /C calc'!A0", full_name_ja="@攻撃者")
    waiting = industry_rep(full_name="Not Confirmed")
    register(meeting=roundtable, person=yamada, note="+ vegetarian", consent=True)
    register(meeting=roundtable, person=attacker, consent=True)
    registration = register(meeting=roundtable, person=waiting, consent=True).registration
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.WAITLISTED)
    return {"yamada": yamada, "attacker": attacker}


@pytest.mark.parametrize("name, bom", [("attendees.csv", False), ("attendees-excel.csv", True)])
def test_the_export_neutralises_formulas_and_keeps_japanese(client, cast, roundtable, attendees, name, bom):
    client.force_login(cast.secretariat)

    response = client.get(f"/meetings/{roundtable.pk}/registrations/{name}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="meeting-{roundtable.pk}-{name}"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    rows = read(response, bom=bom)
    header, *people = rows
    assert header[:4] == ["Name", "Name in Japanese script", "E-mail", "Organisation"]
    by_email = {row[2]: row for row in people}
    assert set(by_email) == {attendees["yamada"].email, attendees["attacker"].email}, "only the confirmed attendees"
    yamada = by_email[attendees["yamada"].email]
    assert yamada[:2] == ["Taro Yamada", "山田 太郎"]
    assert yamada[3:5] == ["'=Seto Marine Engineering K.K.", "瀬戸マリンエンジニアリング株式会社"]
    assert yamada[6:8] == ["'-Director", "'+ vegetarian"]
    attacker = by_email[attendees["attacker"].email]
    assert attacker[:2] == ["'=CMD|' /C calc'!A0", "'@攻撃者"]
    # No cell of the file starts a formula.
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.parametrize("role", ["industry", "member", "cochair"])
def test_the_export_is_the_secretariats_only(client, cast, roundtable, role):
    client.force_login(cast.roles()[role])

    assert client.get(f"/meetings/{roundtable.pk}/registrations/attendees.csv").status_code == 403


def test_a_visitor_is_sent_to_sign_in(client, roundtable):
    response = client.get(f"/meetings/{roundtable.pk}/registrations/attendees-excel.csv")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
