"""The failures the property-based tests found, kept as plain examples so that they stay
fixed: each answered 500 (or a megabyte-long header) before."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forums.models import Meeting, Registration
from tests.factories import ActionItemFactory, MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", ["0", "forums:home", "admin:index", "javascript:alert(1)", "//evil.example/",
                                    "https://evil.example/", "\\\\evil.example"])
def test_a_next_address_that_is_not_a_path_on_the_site_is_ignored(client, cast, target):
    client.force_login(cast.member)
    item = ActionItemFactory(working_group=cast.group_a, owner_person=cast.member)
    response = client.post(f"/action-items/{item.pk}/status/", {"status": "done", "next": target})
    assert response.status_code == 302 and response["Location"] == "/my/action-items/"

    now = timezone.now()
    roundtable = MeetingFactory(kind=Meeting.Kind.ROUNDTABLE, registration_opens_at=now - timedelta(days=1),
                                registration_closes_at=now + timedelta(days=5))
    registration = RegistrationFactory(meeting=roundtable, person=cast.member, status=Registration.Status.CONFIRMED)
    response = client.post(f"/my/registrations/{registration.pk}/cancel/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/my/registrations/"

    client.force_login(cast.industry)
    response = client.post("/profile/details/", {
        "full_name": "Hanako Sato", "organization": cast.industry.profile.organization_id,
        "preferred_language": "en", "time_zone": "Asia/Tokyo", "next": target,
    })
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_check_in_desk_does_not_echo_a_megabyte_search_into_the_redirect(client, cast):
    meeting = MeetingFactory()
    registration = RegistrationFactory(meeting=meeting, person=cast.industry, status=Registration.Status.CONFIRMED)
    client.force_login(cast.secretariat)
    response = client.post(f"/meetings/{meeting.pk}/check-in/{registration.pk}/", {"q": "x" * 1_000_000})
    assert response.status_code == 302
    assert response["Location"] == f"/meetings/{meeting.pk}/check-in/"
    short = client.post(f"/meetings/{meeting.pk}/check-in/{registration.pk}/", {"q": "Sato"})
    assert short["Location"] == f"/meetings/{meeting.pk}/check-in/?q=Sato"


@pytest.mark.parametrize("path", ["/meetings/99999999999999999999999/", "/papers/99999999999999999999/download/",
                                  "/meetings/calendar/99999999999999999999/99999999999999/"])
def test_huge_numbers_in_addresses_answer_404_or_400(client, cast, path):
    # Signed in: a visitor is sent to sign in for any meeting page it may not see, this one too.
    client.force_login(cast.industry)
    assert client.get(path).status_code in (400, 404)


def test_invalid_utf_8_and_nul_bytes_in_a_query_are_a_bad_request_not_an_error(client):
    response = client.get("/meetings/?q=%ff%fe%00&start=%c0%af&group=%00")
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()
