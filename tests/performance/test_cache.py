"""Rendered fragments are shared only by viewers who see the same thing, and never
outlive a change (forums/cache.py)."""

import pickle
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from forums import cache as page_cache
from forums.templatetags import page_frame
from forums.models import AgendaItem, Meeting
from forums.services import update_meeting
from forums.services.agenda import publish_agenda
from forums.services.registrations import register
from participants.middleware import TIME_ZONE_COOKIE
from tests.factories import (
    AgendaItemFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)
from working_groups.models import Membership

pytestmark = pytest.mark.django_db


def page(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def stored_fragments() -> list[object]:
    """Everything the fragment cache holds (local memory in tests), unpickled."""
    store = caches[page_cache.CACHE_ALIAS]._cache
    return [pickle.loads(value) for value in store.values()]


def as_text(value) -> str:
    return repr(value)


@pytest.fixture
def secretariat(cast):
    return cast.secretariat


@pytest.fixture
def plenary(cast):
    return MeetingFactory(forum=cast.group_a.forum, title_en="Fourth plenary", title_ja="第4回本会合")


@pytest.fixture
def members_only(cast):
    return MeetingFactory(forum=cast.group_a.forum, title_en="Ship repair members only", kind=Meeting.Kind.WORKING_GROUP,
                          working_group=cast.group_a, visibility=Meeting.Visibility.GROUP_MEMBERS)


# The cache is used ----------------------------------------------------------------------


def test_a_page_seen_again_comes_from_the_cache(client, plenary):
    first = page(client, "/meetings/")
    with CaptureQueriesContext(connection) as again:
        second = page(client, "/meetings/")
    assert len(again) == 0  # a visitor's schedule, cached: not one query
    assert "Fourth plenary" in second
    assert first.split('name="csrfmiddlewaretoken"')[0] == second.split('name="csrfmiddlewaretoken"')[0]


def test_the_meeting_page_and_the_group_page_come_from_the_cache_but_the_registration_box(client, cast, plenary):
    client.force_login(cast.member)
    page(client, plenary.get_absolute_url())
    with CaptureQueriesContext(connection) as again:
        page(client, plenary.get_absolute_url())
    tables = " ".join(query["sql"] for query in again.captured_queries)
    assert "forums_agendaversion" not in tables and "forums_minutes" not in tables and "forums_document" not in tables
    group = reverse("working_groups:detail", args=[cast.group_a.slug])
    page(client, group)
    with CaptureQueriesContext(connection) as again:
        page(client, group)
    tables = " ".join(query["sql"] for query in again.captured_queries)
    assert "working_groups_membership" not in tables and "forums_meeting" not in tables


# A change shows at once ------------------------------------------------------------------


def test_a_change_through_a_service_shows_at_once_everywhere(client, cast, secretariat, plenary):
    urls = ["/", "/meetings/", plenary.get_absolute_url(),
            reverse("forums:personal_feed", args=[cast.member.profile.calendar_token])]
    for url in urls:
        assert "Fourth plenary" in page(client, url)

    update_meeting(meeting=plenary, by=secretariat, title_en="Fourth plenary (Tokyo)")

    for url in urls:
        assert "Fourth plenary (Tokyo)" in page(client, url), url


def test_the_generation_moves_again_when_the_change_commits(secretariat, plenary, django_capture_on_commit_callbacks):
    def generation() -> int:
        return caches[page_cache.CACHE_ALIAS].get(page_cache._generation_key(page_cache.MEETINGS))

    page_cache.content_changed(page_cache.MEETINGS)
    before = generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        update_meeting(meeting=plenary, by=secretariat, title_en="Renamed")
        during = generation()
    # Once in the transaction (a reader in it sees the change), and once after the commit
    # (a reader that rendered the rows as they were before the commit is not served).
    assert during > before
    assert callbacks and generation() > during


def test_publishing_an_agenda_shows_it_at_once(client, cast, secretariat, plenary):
    assert "The agenda has not been published yet." in page(client, plenary.get_absolute_url())
    AgendaItemFactory(meeting=plenary, title_en="Opening remarks")
    publish_agenda(meeting=plenary, by=secretariat)
    assert "Opening remarks" in page(client, plenary.get_absolute_url())


def test_an_edit_made_elsewhere_than_a_service_shows_at_once_too(client, plenary):
    """The admin and the management commands save rows without a service: every save of
    what the pages show bumps the generation (forums.cache.connect_signals)."""
    page(client, "/meetings/")
    plenary.title_en = "Renamed in the admin"
    plenary.save()
    assert "Renamed in the admin" in page(client, "/meetings/")


def test_a_new_registration_and_a_lost_membership_change_the_feed_at_once(client, cast, members_only):
    roundtable = MeetingFactory(forum=cast.group_a.forum, title_en="Industry roundtable",
                                kind=Meeting.Kind.ROUNDTABLE, registration_opens_at=timezone.now() - timedelta(days=1))
    feed = reverse("forums:personal_feed", args=[cast.member.profile.calendar_token])
    before = page(client, feed)
    assert "Ship repair members only" in before and "Industry roundtable" not in before

    register(meeting=roundtable, person=cast.member, consent=True)
    Membership.objects.filter(person=cast.member).delete()

    after = page(client, feed)
    assert "Industry roundtable" in after and "Ship repair members only" not in after


def test_the_schedule_forgets_a_meeting_when_it_ends(client, cast, time_machine):
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now, tick=False)
    MeetingFactory(title_en="Ends within the hour", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(minutes=30))
    MeetingFactory(title_en="Meeting tomorrow", starts_at=now + timedelta(days=1))
    assert "Ends within the hour" in page(client, "/meetings/")

    time_machine.move_to(now + timedelta(minutes=31), tick=False)
    listed = page(client, "/meetings/")
    assert "Ends within the hour" not in listed and "Meeting tomorrow" in listed
    assert "Ends within the hour" in page(client, "/meetings/?when=past")


# Never one viewer's content for another -------------------------------------------------


@pytest.mark.parametrize("other", ["anonymous", "industry", "outsider"])
def test_a_members_only_meeting_cached_for_a_member_never_appears_for_someone_else(client, cast, members_only, other):
    member_pages = {}
    client.force_login(cast.member)
    for url in ["/", "/meetings/", "/meetings/?q=Ship", reverse("working_groups:detail", args=[cast.group_a.slug]),
                f"/meetings/calendar/{members_only.starts_at.year}/{members_only.starts_at.month}/"]:
        member_pages[url] = page(client, url)
        assert "Ship repair members only" in member_pages[url], url
    assert client.get(members_only.get_absolute_url()).status_code == 200

    client.logout()
    if cast.roles()[other] is not None:
        client.force_login(cast.roles()[other])
    for url in member_pages:
        assert "Ship repair members only" not in page(client, url), (other, url)
    # A signed-out reader is asked to sign in (as for a meeting that does not exist); others get 404.
    response = client.get(members_only.get_absolute_url())
    assert response.status_code == (302 if other == "anonymous" else 404)
    assert "Ship repair members only" not in response.content.decode()


def test_the_group_members_cached_for_a_member_are_not_shown_to_an_outsider(client, cast):
    named = UserFactory(role="official")
    named.profile.full_name = "Hanako Members-List"
    named.profile.save()
    MembershipFactory(working_group=cast.group_a, person=named)
    url = reverse("working_groups:detail", args=[cast.group_a.slug])
    client.force_login(cast.member)
    assert "Hanako Members-List" in page(client, url)
    client.force_login(cast.outsider)
    assert "Hanako Members-List" not in page(client, url)


def test_a_japanese_rendering_never_appears_for_an_english_viewer(client, plenary):
    japanese = page(client, "/meetings/", HTTP_ACCEPT_LANGUAGE="ja")
    assert "第4回本会合" in japanese
    english = page(client, "/meetings/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Fourth plenary" in english and "第4回本会合" not in english
    # Signed in, the language comes from the profile: the same rule holds.
    for url in ["/", plenary.get_absolute_url()]:
        assert "第4回本会合" in page(client, url, HTTP_ACCEPT_LANGUAGE="ja")
        assert "第4回本会合" not in page(client, url, HTTP_ACCEPT_LANGUAGE="en")


def test_times_rendered_for_one_zone_are_not_shown_in_another(client, plenary):
    client.cookies[TIME_ZONE_COOKIE] = "America/New_York"
    new_york = page(client, "/meetings/")
    client.cookies[TIME_ZONE_COOKIE] = "Asia/Tokyo"
    tokyo = page(client, "/meetings/")
    assert "viewer-time" in new_york and "viewer-time" not in tokyo  # the Tokyo meeting is in Tokyo's time


def test_nothing_personal_is_kept_in_the_shared_cache(client, cast, plenary, members_only):
    person = cast.member
    person.profile.full_name = "Zebulon Private-Person"
    person.profile.save()
    roundtable = MeetingFactory(forum=cast.group_a.forum, title_en="Roundtable", kind=Meeting.Kind.ROUNDTABLE,
                                registration_opens_at=timezone.now() - timedelta(days=1))
    register(meeting=roundtable, person=person, consent=True)
    client.force_login(person)
    seen = [page(client, url) for url in ["/", "/meetings/", plenary.get_absolute_url(), roundtable.get_absolute_url(),
                                          reverse("working_groups:detail", args=[cast.group_a.slug])]]
    token = client.cookies["csrftoken"].value
    assert any("Cancel my registration" in html for html in seen)

    # What is theirs is kept under keys of theirs (their account and profile only in the
    # process's memory: forums.cache.SignedInUserMiddleware).
    own = {page_cache.fragment_key("group_ids", (person.pk,)),
           page_cache.fragment_key("registered_meeting_ids", (person.pk,))}
    # Shared by every process (Redis in production), and kept in this process's memory.
    for alias in (page_cache.CACHE_ALIAS, page_cache.LOCAL_ALIAS, "local"):
        kept = {key.split(":", 2)[-1]: pickle.loads(value) for key, value in caches[alias]._cache.items()}
        shared = " ".join(as_text(value) for key, value in kept.items() if key not in own)
        assert "csrfmiddlewaretoken" not in shared and token not in shared
        assert "Cancel my registration" not in shared and "You are registered" not in shared
        # Elsewhere the person's name may only be in the member list, shared by the group's members.
        assert all("Zebulon" not in as_text(value) or "Members" in as_text(value)
                   for key, value in kept.items() if key not in own)
    # The parts of the page frame each process keeps (forums/templatetags/page_frame.py).
    frame = " ".join(page_frame._parts.values())
    assert "DICAS Portal" in frame
    assert "csrfmiddlewaretoken" not in frame and token not in frame and "Zebulon" not in frame


def test_two_visitors_get_their_own_csrf_token(client, plenary):
    from django.test import Client

    first = page(client, plenary.get_absolute_url())
    second = page(Client(), plenary.get_absolute_url())

    def token(html: str) -> str:
        return html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    assert token(first) != token(second)


def test_the_secretariats_agenda_builder_is_never_cached(client, cast, secretariat, plenary):
    AgendaItemFactory(meeting=plenary, title_en="Draft item for the builder")
    client.force_login(secretariat)
    assert "Draft item for the builder" in page(client, plenary.get_absolute_url())
    AgendaItem.objects.filter(meeting=plenary).update(title_en="Renamed without a signal")
    assert "Renamed without a signal" in page(client, plenary.get_absolute_url())
    client.force_login(cast.member)
    assert "Draft item for the builder" not in page(client, plenary.get_absolute_url())


# A cache that fails -----------------------------------------------------------------------


class BrokenCache:
    """A cache backend whose every call fails, as Redis does when it is down."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)

        def fail(*args, **kwargs):
            raise ConnectionError("the cache is down")

        return fail

    def close(self, **kwargs):
        pass

    def clear(self):
        pass


def test_pages_are_rendered_when_the_cache_is_down(client, cast, plenary, settings):
    caches_setting = {**settings.CACHES, "fragments": {"BACKEND": "tests.performance.test_cache.BrokenCache"}}
    with override_settings(CACHES=caches_setting):
        update_meeting(meeting=plenary, by=cast.secretariat, title_en="Fourth plenary, renamed")  # no bump: fine
        assert "Fourth plenary" in page(client, "/meetings/")
        assert "Fourth plenary" in page(client, plenary.get_absolute_url())
        client.force_login(cast.member)
        assert "Fourth plenary" in page(client, reverse("forums:personal_feed",
                                                        args=[cast.member.profile.calendar_token]))
        assert page(client, reverse("working_groups:detail", args=[cast.group_a.slug]))
        assert caches["fragments"]._portal_down_until is not None  # left alone for a while


def test_when_the_cache_is_back_nothing_stored_before_the_outage_is_served(client, plenary):
    assert "Fourth plenary" in page(client, "/meetings/")
    fragments = caches[page_cache.CACHE_ALIAS]
    fragments._portal_down_until = 0.0  # it failed a while ago; changes since were not counted
    Meeting.objects.filter(pk=plenary.pk).update(title_en="Changed during the outage")
    assert "Changed during the outage" in page(client, "/meetings/")
    assert fragments._portal_down_until is None


def test_a_change_made_by_another_process_is_seen_though_this_one_kept_a_copy(client, plenary):
    """Fragments are kept in the process's memory too, but checked against the generations
    in the shared cache: another process's bump is enough."""
    assert "Fourth plenary" in page(client, "/meetings/")
    assert any("Fourth plenary" in as_text(pickle.loads(value)) for value in caches["fragments_local"]._cache.values())
    Meeting.objects.filter(pk=plenary.pk).update(title_en="Renamed by another process")  # no signal here
    caches[page_cache.CACHE_ALIAS].incr(page_cache._generation_key(page_cache.MEETINGS))  # its bump
    assert "Renamed by another process" in page(client, "/meetings/")


def test_registering_shows_on_the_meeting_page_at_once(client, cast):
    """The meetings someone registered for are kept for them (no query on the many pages
    of meetings they did not register for), and forgotten when a registration changes."""
    roundtable = MeetingFactory(forum=cast.group_a.forum, title_en="Roundtable", kind=Meeting.Kind.ROUNDTABLE,
                                registration_opens_at=timezone.now() - timedelta(days=1))
    client.force_login(cast.industry)
    assert "You are registered" not in page(client, roundtable.get_absolute_url())
    register(meeting=roundtable, person=cast.industry, consent=True)
    assert "You are registered" in page(client, roundtable.get_absolute_url())


def test_a_role_taken_away_counts_at_the_next_page(client, cast):
    """The profile (with the role) is read from the cache: a change of role must be seen at once."""
    from participants.services import change_role

    deputy = UserFactory(role="secretariat")
    client.force_login(deputy)
    assert client.get(reverse("audit:events")).status_code == 200
    change_role(profile=deputy.profile, role="official", by=cast.secretariat)
    assert client.get(reverse("audit:events")).status_code in (403, 404)
    assert 'href="/audit/"' not in page(client, "/meetings/")


def test_leaving_a_group_closes_its_meetings_at_once(client, cast, members_only):
    """The person's working groups are kept in the cache and decide what they may open."""
    client.force_login(cast.member)
    assert client.get(members_only.get_absolute_url()).status_code == 200
    assert "Ship repair members only" in page(client, "/meetings/")
    Membership.objects.filter(person=cast.member, working_group=cast.group_a).delete()
    assert client.get(members_only.get_absolute_url()).status_code == 404
    assert "Ship repair members only" not in page(client, "/meetings/")


def test_a_paper_cached_for_a_cochair_in_the_group_is_not_shown_to_a_cochair_outside_it(client, cast):
    """Co-chairs see every meeting, but a group's export-controlled papers only as its
    members (from a member country): the clearance class holds the groups too."""
    from forums.models import Document, ForumCountry

    forum = cast.group_a.forum
    japan = cast.member.profile.organization.country
    ForumCountry.objects.get_or_create(forum=forum, country=japan, defaults={"standing": ForumCountry.Standing.MEMBER})
    meeting = MeetingFactory(forum=forum, title_en="Ship repair", kind=Meeting.Kind.WORKING_GROUP,
                             working_group=cast.group_a, visibility=Meeting.Visibility.GROUP_MEMBERS)
    Document.objects.create(forum=forum, meeting=meeting, title="Export-controlled drawing",
                            file="papers/1/drawing.pdf", marking=Document.Marking.EXPORT_CONTROLLED)
    inside, outside = UserFactory(role="cochair"), UserFactory(role="cochair")
    for cochair in (inside, outside):
        cochair.profile.organization = cochair.profile.verified_organization = cast.member.profile.organization
        cochair.profile.save()
    MembershipFactory(working_group=cast.group_a, person=inside)
    MembershipFactory(working_group=cast.group_b, person=outside)  # a member elsewhere, same organisation

    client.force_login(inside)
    assert "Export-controlled drawing" in page(client, meeting.get_absolute_url())
    client.force_login(outside)
    assert "Export-controlled drawing" not in page(client, meeting.get_absolute_url())


def test_the_page_frame_kept_per_process_follows_language_and_kind_of_account(client, cast):
    """base.html's parts are rendered once per process for each language, zone and kind of
    account; the address of the page in them stays the page's own."""
    from urllib.parse import quote

    client.force_login(cast.secretariat)
    staff = page(client, "/meetings/?when=past")
    client.logout()
    visitor = page(client, "/meetings/", HTTP_ACCEPT_LANGUAGE="en")
    japanese = page(client, "/meetings/", HTTP_ACCEPT_LANGUAGE="ja")
    assert 'href="/people/"' in staff and 'href="/people/"' not in visitor
    assert 'href="/accounts/logout/"' in staff and 'href="/accounts/login/"' in visitor
    assert f'?next={quote("/meetings/?when=past", safe="/")}"' in staff and '?next=/meetings/"' in visitor
    assert '<html lang="ja">' in japanese
    assert "Skip to main content" in visitor and "Skip to main content" not in japanese
