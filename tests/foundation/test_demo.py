import io
import zoneinfo
from datetime import datetime

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from forums.models import Forum, Meeting
from working_groups.models import WorkingGroup

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """The demo's papers are files: written under the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def load_demo() -> str:
    output = io.StringIO()
    call_command("load_demo", stdout=output)
    return output.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("participants", "forums", "working_groups", "auth", "account")
        for model in apps.get_app_config(app).get_models()
    }


def test_load_demo_twice_leaves_the_same_rows():
    load_demo()
    first = row_counts()
    load_demo()
    assert row_counts() == first
    assert first["forums.Meeting"] >= 10
    assert first["auth.User"] >= 5


def test_load_demo_seeds_the_forum_and_its_four_working_groups():
    load_demo()
    forum = Forum.objects.get(acronym="DICAS")
    assert forum.name_ja == "日米防衛産業協力・取得・維持整備定期協議"
    assert set(WorkingGroup.objects.values_list("name_ja", flat=True)) == {
        "ミサイル共同生産", "艦船の補修・整備", "航空機の整備", "サプライチェーン強靱化",
    }
    assert sorted(forum.cochairs.values_list("country__code", flat=True)) == ["JP", "US"]


def test_the_june_2024_tokyo_sequence_is_there_with_its_tokyo_times():
    load_demo()
    june = Meeting.objects.filter(starts_at__year=2024, starts_at__month=6).order_by("starts_at")
    assert [(m.kind, m.starts_at.astimezone(TOKYO)) for m in june] == [
        (Meeting.Kind.PREPARATORY, datetime(2024, 6, 9, 10, 0, tzinfo=TOKYO)),
        (Meeting.Kind.ROUNDTABLE, datetime(2024, 6, 10, 9, 30, tzinfo=TOKYO)),
        (Meeting.Kind.WORKING_GROUP, datetime(2024, 6, 11, 10, 0, tzinfo=TOKYO)),
    ]
    assert june[2].working_group.slug == "ship-repair"
    assert all(meeting.time_zone == "Asia/Tokyo" for meeting in june)


def test_the_june_meetings_show_their_tokyo_time_on_their_page(client):
    load_demo()
    client.login(username="official.us@dicas.example", password="dicas-demo-2024")
    roundtable = Meeting.objects.get(starts_at__date="2024-06-10")
    page = client.get(roundtable.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "09:30 JST (Tokyo)" in page.content.decode()


def test_the_demo_always_has_upcoming_meetings_with_one_open_for_registration():
    load_demo()
    now = timezone.now()
    upcoming = Meeting.objects.filter(starts_at__gt=now)
    assert upcoming.count() >= 5
    assert upcoming.filter(registration_opens_at__lte=now, registration_closes_at__gt=now).exists()


def test_every_demo_meeting_passes_validation():
    load_demo()
    for meeting in Meeting.objects.all():
        meeting.full_clean()


def test_load_demo_shows_clearance_at_work(client):
    """Papers of each marking in each group's next meeting, an observer-country member and an
    industry account whose affiliation awaits approval (issue 13)."""
    from forums.models import Document
    from participants.models import Affiliation, Profile

    load_demo()
    for group in WorkingGroup.objects.all():
        markings = set(Document.objects.filter(meeting__working_group=group).values_list("marking", flat=True))
        assert markings == {"public", "official_use_only", "export_controlled"}, group.slug
    pending = Profile.objects.get(user__username="industry.pending@dicas.example")
    assert pending.verified_organization is None
    assert Affiliation.objects.get(person=pending.user, status="pending").organization == pending.organization
    observer = Profile.objects.get(user__username="official.au@dicas.example")
    assert observer.verified_organization.country_id == "AU"
    paper = Document.objects.get(title="Ship repair and maintenance: technical data package")
    assert paper.release_line == "REL TO JPN, USA"
    client.force_login(observer.user)
    assert client.get(f"/papers/{paper.pk}/download/").status_code == 404
    client.force_login(Profile.objects.get(user__username="official.jp@dicas.example").user)
    assert client.get(f"/papers/{paper.pk}/download/").status_code == 302  # the handling rule first
