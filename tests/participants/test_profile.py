"""The profile page: the personal feed's address, and giving it a new one."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from participants.models import Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE = "/profile/"
RESET = "/profile/calendar-token/reset/"


@pytest.fixture
def official(client):
    user = UserFactory(role="official")
    client.force_login(user)
    return user


def feed_path(token: str) -> str:
    return reverse("forums:personal_feed", args=[token])


def test_the_urls_are_where_the_pages_link_to():
    assert reverse("participants:profile") == PROFILE
    assert reverse("participants:reset_calendar_token") == RESET


def test_the_profile_page_needs_signing_in(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_profile_page_shows_the_feed_address_and_the_person(client, official):
    profile = official.profile
    page = client.get(PROFILE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"http://testserver{feed_path(profile.calendar_token)}" in page
    assert "Official" in page
    assert profile.organization.name in page
    assert "English" in page and profile.time_zone in page
    assert f'action="{RESET}" method="post"' in page and "csrfmiddlewaretoken" in page


def test_after_a_reset_the_old_address_is_gone_and_the_new_one_works(client, official):
    old_token = official.profile.calendar_token
    assert client.get(feed_path(old_token)).status_code == 200

    response = client.post(RESET)

    assert response.status_code == 302 and response["Location"] == PROFILE
    new_token = Profile.objects.get(user=official).calendar_token
    assert new_token != old_token
    assert client.get(feed_path(old_token)).status_code == 404
    assert client.get(feed_path(new_token)).status_code == 200
    notices = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("old address no longer works" in notice for notice in notices)
    page = client.get(PROFILE).content.decode()
    assert feed_path(new_token) in page and feed_path(old_token) not in page


def test_a_reset_by_get_is_refused(client, official):
    old_token = official.profile.calendar_token
    assert client.get(RESET).status_code == 405
    assert Profile.objects.get(user=official).calendar_token == old_token


def test_a_reset_needs_signing_in(client):
    someone = UserFactory(role="official")
    old_token = someone.profile.calendar_token
    response = client.post(RESET)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert Profile.objects.get(user=someone).calendar_token == old_token


def test_a_reset_is_protected_against_cross_site_requests(official):
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(official)
    old_token = official.profile.calendar_token
    assert guarded.post(RESET).status_code == 403
    assert Profile.objects.get(user=official).calendar_token == old_token
