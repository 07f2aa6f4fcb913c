"""Script put into any free-text field a person can fill (names, organisations, notes,
agenda titles and notes, minutes, comments, paper titles, action items, what was typed at
the sign-in form) comes back escaped on every page the portal has: the pages come from
walking the URL resolver (the permission matrix's table), seen by each role."""

import re

import pytest
from django.test import Client

from audit.models import AuditEvent
from audit.services import record_event
from forums.models import Minutes
from forums.services.agenda import seed_published_agenda
from working_groups.models import Membership

from .test_permission_matrix import MATRIX
from .urlmap import build_world

pytestmark = pytest.mark.django_db


def payload(field: str) -> str:
    """A payload naming its field, in three shapes: an element, an attribute break-out,
    and an event handler."""
    return f'<script>alert("{field}")</script>"><img src=x onerror=alert("{field}")><svg onload=alert(1)>'


# What must never reach a page unescaped: the markup of any payload above.
RAW = re.compile(r'<script>alert\("|<img src=x onerror|<svg onload', re.I)
ESCAPED = "&lt;script&gt;alert(&quot;"


def plant(world) -> None:
    """Every free-text field of the world's objects carries a payload."""
    cast = world.cast
    for person in (cast.industry, cast.member, cast.outsider):
        profile = person.profile
        profile.full_name = payload("full_name")
        profile.full_name_ja = payload("full_name_ja")
        profile.job_title = payload("job_title")
        profile.save()
        organization = profile.organization
        organization.name = payload(f"organization {person.pk}")
        organization.name_ja = payload("organization_ja")
        organization.acronym = "<b>x</b>"
        organization.save()
    Membership.objects.filter(working_group=cast.group_a, person=cast.member).update(role="lead")
    for meeting in (world.public, world.participants, world.group, world.roundtable, world.draft):
        for field in ("title_en", "title_ja", "summary_en", "summary_ja", "venue_en", "venue_ja"):
            setattr(meeting, field, payload(f"meeting {field}"))
        meeting.save()
    for item in (world.item, world.group_item):
        item.title_en, item.title_ja = payload("agenda title_en"), payload("agenda title_ja")
        item.presenter, item.notes = payload("presenter"), payload("agenda notes")
        item.save()
        seed_published_agenda(meeting=item.meeting)
    world.registration.note = payload("registration note")
    world.registration.decline_reason = payload("decline reason")
    world.registration.save()
    for minutes in Minutes.objects.all():
        minutes.body = f"## Minutes\n\n{payload('minutes body')}\n\n[link](javascript:alert(1))"
        minutes.return_comment = payload("return comment")
        minutes.save()
    for paper in (world.public_paper, world.group_paper):
        paper.title = payload("paper title")
        paper.save()
    world.action_item.text = payload("action item")
    world.action_item.save()
    world.invitation.full_name = payload("invitation name")
    world.invitation.save()
    cast.group_a.name_en, cast.group_a.focus_en = payload("group name"), payload("group focus")
    cast.group_a.save()
    record_event(actor=None, action=AuditEvent.Action.SIGN_IN_FAILED, detail={"login": payload("login typed")})


@pytest.fixture
def poisoned(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world(cast, settings.MEDIA_ROOT)
    plant(world)
    return world


def pages(world) -> list[str]:
    return sorted({case.url(world) for cases in MATRIX.values() for case in cases} | {
        f"/meetings/?q={world.public.title_en[:20]}", "/people/?q=script", "/audit/?action=account.sign_in_failed",
        f"/meetings/{world.roundtable.pk}/check-in/?q=script",
    })


@pytest.mark.parametrize("role", ["anonymous", "industry", "member", "cochair", "secretariat"])
def test_payloads_come_back_escaped_on_every_page(poisoned, role):
    person = poisoned.cast.roles()[role]
    client = Client()
    if person is not None:
        client.force_login(person)
    leaks, escaped_on = [], []
    for url in pages(poisoned):
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        page = response.content.decode()
        if match := RAW.search(page):
            leaks.append(f"{url}: …{page[max(0, match.start() - 80):match.end() + 40]}…")
        if ESCAPED in page:
            escaped_on.append(url)
    assert not leaks, "unescaped payloads:\n  " + "\n  ".join(leaks)
    # Not vacuous: the payloads were on the pages, escaped.
    assert escaped_on, "no page showed a payload at all"


def test_the_pages_that_show_free_text_show_it_escaped(poisoned):
    """The fields land where they are expected, so the walk above has something to check."""
    world = poisoned
    client = Client()
    client.force_login(world.cast.secretariat)
    expectations = {
        "/people/": ["full_name", "organization"],
        f"/meetings/{world.roundtable.pk}/registrations/": ["full_name", "registration note"],
        f"/meetings/{world.participants.pk}/": ["agenda title_en", "agenda notes", "presenter", "meeting title_en"],
        f"/groups/{world.cast.group_a.slug}/": ["group name", "action item", "full_name", "paper title"],
        "/invitations/": ["invitation name"],
        "/audit/": ["login typed"],
    }
    for url, fields in expectations.items():
        page = client.get(url).content.decode()
        for field in fields:
            assert f"alert(&quot;{field}" in page, (url, field)
        assert not RAW.search(page), url
    minutes = client.get(f"/minutes/{world.in_review.pk}/").content.decode()
    assert "javascript:" not in minutes and not RAW.search(minutes)
    client.force_login(world.cast.industry)
    mine = client.get("/profile/").content.decode()
    assert "alert(&quot;full_name" in mine and not RAW.search(mine)


def test_a_name_typed_at_the_profile_step_comes_back_escaped(client, cast):
    client.force_login(cast.industry)
    response = client.post("/profile/details/", {
        "full_name": payload("typed name"), "organization": cast.industry.profile.organization_id,
        "preferred_language": "en", "time_zone": "Asia/Tokyo", "job_title": payload("typed title"),
    })
    assert response.status_code == 302
    page = client.get("/profile/").content.decode()
    assert "alert(&quot;typed name" in page and not RAW.search(page)
