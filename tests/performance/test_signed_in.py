"""The signed-in person is kept in each process's memory (forums.cache.SignedInUserMiddleware):
no query for their account or profile on every page, and yet a password changed, an
account closed or a role taken away counts at the very next request, in every process."""

from unittest import mock

import pytest
import redis
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from forums import cache as page_cache
from participants.services import change_role
from tests.factories import MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def tables_read(client, url: str) -> str:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return " ".join(query["sql"] for query in captured.captured_queries)


def kept_here(user) -> bool:
    return caches[page_cache.SIGNED_IN_ALIAS].get(page_cache._user_key(user.pk)) is not None


def signed_in_on(client, url: str = "/profile/") -> bool:
    return client.get(url).status_code == 200


def test_a_signed_in_page_reads_neither_account_nor_profile_once_seen(client, cast):
    MeetingFactory(forum=cast.group_a.forum, title_en="Fourth plenary")
    client.force_login(cast.member)
    tables_read(client, "/meetings/")
    again = tables_read(client, "/meetings/")
    assert "auth_user" not in again and "participants_profile" not in again
    assert kept_here(cast.member)


def test_signing_out_everywhere_ends_the_sessions_whose_person_this_process_keeps(cast):
    phone, laptop = Client(), Client()
    for device in (phone, laptop):
        device.force_login(cast.member)
        assert signed_in_on(device)
    assert kept_here(cast.member)

    assert laptop.post("/profile/sign-out-everywhere/", {"password": PASSWORD}).status_code == 302

    assert phone.get("/profile/")["Location"].startswith("/accounts/login/")
    assert laptop.get("/profile/")["Location"].startswith("/accounts/login/")


def test_a_password_changed_by_another_process_counts_at_the_next_request(client, cast):
    """This process keeps the account as it was; the other process's bump of the
    account's generation in the shared cache is what it checks on every request."""
    client.force_login(cast.member)
    assert signed_in_on(client) and kept_here(cast.member)
    get_user_model().objects.filter(pk=cast.member.pk).update(password=make_password("another-long-secret"))  # no signal
    caches[page_cache.CACHE_ALIAS].incr(page_cache._generation_key(page_cache.account_kind(cast.member.pk)))
    assert not signed_in_on(client)


def test_an_account_closed_is_signed_out_at_the_next_request(client, cast):
    client.force_login(cast.member)
    assert signed_in_on(client)
    cast.member.is_active = False
    cast.member.save(update_fields=["is_active"])
    assert not signed_in_on(client)


def test_a_role_taken_away_counts_at_the_next_request_though_the_profile_was_kept(client, cast):
    deputy = UserFactory(role="secretariat")
    client.force_login(deputy)
    assert client.get(reverse("participants:people")).status_code == 200
    assert kept_here(deputy)
    change_role(profile=deputy.profile, role="official", by=cast.secretariat)
    assert client.get(reverse("participants:people")).status_code in (403, 404)


def test_a_language_chosen_in_the_profile_shows_at_the_next_page(client, cast):
    client.force_login(cast.member)
    assert '<html lang="en">' in client.get("/meetings/").content.decode()
    cast.member.profile.preferred_language = "ja"
    cast.member.profile.save()
    assert '<html lang="ja">' in client.get("/meetings/").content.decode()


def test_the_copies_kept_never_cross_from_one_person_to_another(cast):
    member, secretariat = Client(), Client()
    member.force_login(cast.member)
    secretariat.force_login(cast.secretariat)
    for _round in range(3):
        own = member.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        staff = secretariat.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        mine, theirs = cast.member.profile.display_name, cast.secretariat.profile.display_name
        assert mine in own and theirs not in own
        assert theirs in staff and mine not in staff
        assert 'href="/people/"' in staff and 'href="/people/"' not in own


def test_with_the_cache_down_the_account_is_read_from_the_database(client, cast, settings):
    client.force_login(cast.member)
    assert signed_in_on(client)
    broken = {**settings.CACHES, "fragments": {"BACKEND": "tests.performance.test_cache.BrokenCache"}}
    with override_settings(CACHES=broken):
        assert "auth_user" in tables_read(client, "/profile/")
        cast.member.set_password("another-long-secret")
        cast.member.save()  # the bump fails too
        assert not signed_in_on(client)


@pytest.mark.redis
def test_on_redis_a_page_takes_one_round_trip_for_session_account_and_fragments(settings):
    """Production: the session (dicas_portal/session_store.py) comes in the same read as
    the generations, and the account from the process's memory: one round trip, no query."""
    shared = {"BACKEND": "dicas_portal.redis_cache.RedisCache", "LOCATION": settings.CELERY_BROKER_URL,
              "KEY_PREFIX": "dicas-test-signed-in"}
    server = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def forget_test_keys():
        keys = server.keys("dicas-test-signed-in:*")
        if keys:
            server.delete(*keys)

    forget_test_keys()
    try:
        with override_settings(CACHES={**settings.CACHES, "default": shared, "fragments": shared},
                               SESSION_ENGINE="dicas_portal.session_store"):
            person = UserFactory(role="official")
            MeetingFactory(title_en="Plenary on Redis")
            phone, laptop = Client(), Client()
            for device in (phone, laptop):
                device.force_login(person)
                assert "Plenary on Redis" in device.get("/meetings/").content.decode()
            commands = []
            sent = redis.Redis.execute_command

            def counted(self, *args, **options):
                commands.append(args[0])
                return sent(self, *args, **options)

            phone.get("/meetings/")
            with mock.patch.object(redis.Redis, "execute_command", counted), \
                    CaptureQueriesContext(connection) as queries:
                assert "Plenary on Redis" in phone.get("/meetings/").content.decode()
            assert commands == ["MGET"] and len(queries) == 0

            assert laptop.post("/profile/sign-out-everywhere/", {"password": PASSWORD}).status_code == 302
            assert phone.get("/profile/")["Location"].startswith("/accounts/login/")
            # Signing out deletes the session from the cache and the database alike: its
            # cookie, replayed, no longer signs anyone in.
            person.refresh_from_db()  # the password signing out everywhere set again
            laptop.force_login(person)
            assert signed_in_on(laptop)
            replay = Client()
            replay.cookies["sessionid"] = laptop.cookies["sessionid"].value
            assert signed_in_on(replay)
            laptop.post(reverse("account_logout"))
            assert replay.get("/profile/")["Location"].startswith("/accounts/login/")
    finally:
        forget_test_keys()
