"""Every list page and feed takes as many queries for 500 rows as for 5 (issue 8).

Pages already held to this elsewhere: the schedule, the month calendar and the personal
feed (tests/forums), the group page's action items and "my action items"
(tests/working_groups), my registrations, the secretariat's registrations and the
check-in desk (tests/registrations), the outbox for 5 and 50 notices (tests/notifications),
the audit record for 5 and 200 entries (tests/security), the minutes' versions and the
agenda (tests/publishing). Here: the pages that had none, and the lists those left at
fewer rows or without the filters that change their queries.

Each count is taken with the cache empty: what the page costs when it is rendered, not
when a fragment comes from the cache (tests/performance/test_cache.py covers that).
"""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from forums.models import AgendaVersion, Document, Meeting, Minutes
from notifications.models import Delivery, Dispatch
from participants.models import Invitation, Organization, Profile
from tests.factories import MeetingFactory, OrganizationFactory, UserFactory
from working_groups.models import Membership

pytestmark = pytest.mark.django_db

FEW, MANY = 5, 500


def queries_for(client, url: str) -> int:
    """The queries of one GET with nothing cached (the page is rendered in full)."""
    for alias in caches:
        caches[alias].clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def assert_flat(client, url: str, add_rows, *, at_most: int) -> None:
    """`add_rows(n)` makes the page list n rows (n = 5, then 495 more)."""
    add_rows(FEW)
    few = queries_for(client, url)
    add_rows(MANY - FEW)
    many = queries_for(client, url)
    assert many <= few <= at_most, f"{url}: {few} queries for {FEW} rows, {many} for {MANY}"


def meetings(forum, count: int, **fields) -> list[Meeting]:
    start = timezone.now() + timedelta(days=1)
    existing = Meeting.objects.count()
    return Meeting.objects.bulk_create(
        Meeting(
            forum=forum, kind=fields.get("kind", Meeting.Kind.PLENARY), title_en=f"Meeting {existing + n}",
            starts_at=start + timedelta(hours=n), ends_at=start + timedelta(hours=n + 2), time_zone="Asia/Tokyo",
            status=Meeting.Status.SCHEDULED, **{k: v for k, v in fields.items() if k != "kind"},
        )
        for n in range(count)
    )


def test_the_home_page(client, cast):
    client.force_login(cast.member)
    assert_flat(client, "/", lambda n: meetings(cast.group_a.forum, n), at_most=12)


@pytest.mark.parametrize("query", ["", "?when=past", "?group=ship-repair", "?q=Meeting", "?kind=working_group"])
def test_the_schedule_with_its_tabs_and_filters_for_a_member(client, cast, query):
    group = cast.group_a
    past = query == "?when=past"

    def add(n):
        made = meetings(group.forum, n, working_group=group, kind=Meeting.Kind.WORKING_GROUP,
                        visibility=Meeting.Visibility.GROUP_MEMBERS)
        if past:
            Meeting.objects.filter(pk__in=[m.pk for m in made]).update(
                starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=29))

    client.force_login(cast.member)
    assert_flat(client, f"/meetings/{query}", add, at_most=12)


def test_the_working_group_page_with_many_meetings_members_and_papers(client, cast):
    group = cast.group_a
    forum = group.forum

    def add(n):
        made = meetings(forum, n, working_group=group, kind=Meeting.Kind.WORKING_GROUP,
                        visibility=Meeting.Visibility.GROUP_MEMBERS)
        people = [UserFactory(role="official") for _ in range(min(n, 20))]
        Membership.objects.bulk_create(Membership(working_group=group, person=person) for person in people)
        # A paper belongs to a meeting or to a group: the group page lists the group's own.
        Document.objects.bulk_create(
            Document(forum=forum, working_group=group, title=f"Paper {meeting.pk}",
                     file="papers/1/paper.pdf", marking=list(Document.Marking)[meeting.pk % 3])
            for meeting in made
        )

    client.force_login(cast.member)
    assert_flat(client, reverse("working_groups:detail", args=[group.slug]), add, at_most=14)


def test_the_working_group_page_for_an_outsider(client, cast):
    group = cast.group_a

    def add(n):
        made = meetings(group.forum, n, working_group=group, kind=Meeting.Kind.WORKING_GROUP,
                        visibility=Meeting.Visibility.PARTICIPANTS)
        Document.objects.bulk_create(
            Document(forum=group.forum, working_group=group, title=f"Paper {meeting.pk}",
                     file="papers/1/paper.pdf", marking=Document.Marking.PUBLIC)
            for meeting in made
        )

    client.force_login(cast.outsider)
    assert_flat(client, reverse("working_groups:detail", args=[group.slug]), add, at_most=10)


def test_the_meeting_page_with_many_papers_items_and_minutes_versions(client, cast):
    meeting = MeetingFactory(forum=cast.group_a.forum, working_group=cast.group_a, kind=Meeting.Kind.WORKING_GROUP,
                             visibility=Meeting.Visibility.GROUP_MEMBERS)
    made = {"papers": 0, "items": 0}

    def add(n):
        Document.objects.bulk_create(
            Document(forum=meeting.forum, meeting=meeting, title=f"Paper {made['papers'] + k}",
                     file="papers/1/paper.pdf", marking=list(Document.Marking)[k % 3])
            for k in range(n)
        )
        made["papers"] += n
        made["items"] += n
        AgendaVersion.objects.filter(meeting=meeting).delete()
        AgendaVersion.objects.create(
            meeting=meeting, number=1, published_at=timezone.now(),
            items=[{"id": k, "title_en": f"Item {k}", "duration_minutes": 1, "reviews_action_items": False}
                   for k in range(made["items"])],
        )
        Minutes.objects.filter(meeting=meeting).delete()
        Minutes.objects.create(meeting=meeting, version=1, status=Minutes.Status.PUBLISHED,
                               body="## Summary\n\n" + "- A decision.\n" * made["items"])

    client.force_login(cast.member)
    assert_flat(client, meeting.get_absolute_url(), add, at_most=14)


def test_the_personal_feed_of_a_member_who_registered(client, cast):
    person = cast.member

    def add(n):
        made = meetings(cast.group_a.forum, n, kind=Meeting.Kind.ROUNDTABLE, visibility=Meeting.Visibility.PARTICIPANTS)
        from forums.models import Registration

        Registration.objects.bulk_create(Registration(meeting=meeting, person=person) for meeting in made)

    # The profile with its account, the keys of the meetings' pieces, the pieces to render.
    assert_flat(client, reverse("forums:personal_feed", args=[person.profile.calendar_token]), add, at_most=3)


def test_the_people_list(client, cast):
    organization = OrganizationFactory()

    def add(n):
        base = Profile.objects.count()
        users = [UserFactory() for _ in range(n)]
        Profile.objects.bulk_create(
            Profile(user=user, full_name=f"Person {base + k}", organization=organization)
            for k, user in enumerate(users)
        )

    client.force_login(cast.secretariat)
    assert_flat(client, reverse("participants:people"), add, at_most=8)


def test_the_invitations_list(client, cast):
    organization = OrganizationFactory()

    def add(n):
        base = Invitation.objects.count()
        Invitation.objects.bulk_create(
            Invitation(email=f"invited{base + k}@example.org", role=Profile.Role.OFFICIAL, organization=organization,
                       invited_by=cast.secretariat, expires_at=timezone.now() + timedelta(days=7),
                       accepted_at=timezone.now() if k % 3 == 0 else None,
                       accepted_by=cast.member if k % 3 == 0 else None)
            for k in range(n)
        )

    client.force_login(cast.secretariat)
    assert_flat(client, reverse("participants:invitations"), add, at_most=8)


def test_the_outbox(client, cast):
    meeting = MeetingFactory()
    content_type = ContentType.objects.get_for_model(Meeting)

    def add(n):
        dispatches = Dispatch.objects.bulk_create(
            Dispatch(event=Dispatch.Event.AGENDA_PUBLISHED, audience=Dispatch.Audience.PERSON, person=cast.member,
                     target_type=content_type, target_id=meeting.pk, expanded_at=timezone.now())
            for _ in range(n)
        )
        Delivery.objects.bulk_create(
            Delivery(dispatch=dispatch, recipient=cast.member, last_error="550 Refused",
                     status=Delivery.Status.FAILED if k % 2 else Delivery.Status.SENT,
                     sent_at=None if k % 2 else timezone.now())
            for k, dispatch in enumerate(dispatches)
        )

    client.force_login(cast.secretariat)
    assert_flat(client, reverse("notifications:dispatch_list"), add, at_most=8)


def test_the_audit_record(client, cast):
    def add(n):
        AuditEvent.objects.bulk_create(
            AuditEvent(actor=cast.member, action=AuditEvent.Action.SIGNED_IN, target_repr=str(k)) for k in range(n)
        )

    client.force_login(cast.secretariat)
    assert_flat(client, reverse("audit:events"), add, at_most=8)


def test_a_meeting_ics_with_many_agenda_items(client):
    meeting = MeetingFactory()

    def add(n):
        version = AgendaVersion.objects.filter(meeting=meeting).first()
        items = (version.items if version else []) + [
            {"id": k, "title_en": f"Item {k}", "duration_minutes": 5} for k in range(n)
        ]
        AgendaVersion.objects.update_or_create(meeting=meeting, number=1,
                                               defaults={"items": items, "published_at": timezone.now()})

    assert_flat(client, reverse("forums:meeting_ics", args=[meeting.pk]), add, at_most=3)
