"""The registration pages: the meeting page's box and its one-click "Register", "My
registrations", the secretariat's list with vetting and capacity, and the check-in desk.
Each works for the right person, refuses the others (404 or 403), rejects the wrong
method, and keeps its query count flat from 5 to 500 registrations."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forums.models import Meeting, Registration
from forums.services import register
from participants.models import Organization, Profile
from tests.factories import CountryFactory, OrganizationFactory

from .conftest import industry_rep, roundtable_for

pytestmark = pytest.mark.django_db

Status = Registration.Status


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def box_url(meeting) -> str:
    return f"/meetings/{meeting.pk}/#registration-heading"


# -- registering from the meeting page ------------------------------------------------


def test_the_register_form_speaks_each_readers_language_one_after_the_other(client, roundtable):
    """The empty form is rendered once per language and process, then reused."""
    reader, japanese_reader = industry_rep(), industry_rep()
    Profile.objects.filter(user=japanese_reader).update(preferred_language="ja")
    client_class = type(client)

    def page_for(person) -> str:
        browser = client_class()
        browser.force_login(person)
        return browser.get(roundtable.get_absolute_url()).content.decode()

    english, japanese, english_again = page_for(reader), page_for(japanese_reader), page_for(reader)

    assert "Note for the secretariat" in english and "Note for the secretariat" in english_again
    assert "事務局への連絡事項" in japanese and "Note for the secretariat" not in japanese
    assert 'name="csrfmiddlewaretoken"' in english_again


def test_the_meeting_page_offers_register_with_a_note_and_the_consent(client, roundtable):
    client.force_login(industry_rep())

    page = client.get(roundtable.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'action="/meetings/{roundtable.pk}/register/"' in page
    assert 'name="note"' in page and 'name="consent"' in page and "required" in page
    assert "I agree to the handling of my name" in page
    assert ">Register</button>" in page


def test_one_click_registers_and_the_outcome_is_shown_at_once(client, roundtable):
    person = industry_rep()
    client.force_login(person)

    response = client.post(f"/meetings/{roundtable.pk}/register/", {"note": "Wheelchair access", "consent": "on"},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert response.redirect_chain == [(box_url(roundtable), 302)]
    assert "You are registered: your seat is confirmed." in messages_of(response)
    registration = Registration.objects.get(meeting=roundtable, person=person)
    assert (registration.status, registration.note) == (Status.CONFIRMED, "Wheelchair access")
    page = response.content.decode()
    assert "Cancel my registration" in page
    assert f'action="/my/registrations/{registration.pk}/cancel/"' in page


def test_the_waiting_list_position_is_shown_on_the_meeting_page(client, frozen_now):
    meeting = roundtable_for(capacity=1)
    register(meeting=meeting, person=industry_rep(), consent=True)
    person = industry_rep()
    client.force_login(person)

    response = client.post(f"/meetings/{meeting.pk}/register/", {"consent": "on"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert any("You are number 1 on the waiting list" in message for message in messages_of(response))
    assert "You are on the waiting list, number 1." in response.content.decode()


def test_without_consent_nothing_is_registered_and_the_person_is_told(client, roundtable):
    client.force_login(industry_rep())

    response = client.post(f"/meetings/{roundtable.pk}/register/", {"note": "x"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert messages_of(response) == ["To register, agree to the handling of your data for this meeting."]
    assert not Registration.objects.exists()


def test_a_refusal_by_the_rules_is_a_message_not_an_error(client, frozen_now):
    meeting = roundtable_for(status=Meeting.Status.CANCELLED)
    client.force_login(industry_rep())

    response = client.post(f"/meetings/{meeting.pk}/register/", {"consent": "on"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert messages_of(response) == ["This meeting has been cancelled: it takes no registrations."]
    assert not Registration.objects.exists()


def test_the_page_says_why_someone_cannot_register(client, frozen_now, cast):
    meeting = roundtable_for(kind=Meeting.Kind.PLENARY)
    client.force_login(industry_rep())

    page = client.get(meeting.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "This meeting is for government officials." in page
    assert f'action="/meetings/{meeting.pk}/register/"' not in page


def test_a_visitor_is_asked_to_sign_in_and_comes_back_to_the_meeting(client, roundtable):
    page = client.get(roundtable.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in to register" in page

    response = client.post(f"/meetings/{roundtable.pk}/register/", {"consent": "on"})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/meetings/{roundtable.pk}/"


def test_registering_answers_405_to_get(client, roundtable):
    client.force_login(industry_rep())

    assert client.get(f"/meetings/{roundtable.pk}/register/").status_code == 405


def test_registering_for_a_meeting_one_may_not_see_answers_404(client, frozen_now, cast):
    meeting = roundtable_for(visibility=Meeting.Visibility.GROUP_MEMBERS, working_group=cast.group_b)
    client.force_login(industry_rep())

    assert client.post(f"/meetings/{meeting.pk}/register/", {"consent": "on"}).status_code == 404
    assert client.post("/meetings/999999/register/", {"consent": "on"}).status_code == 404
    assert not Registration.objects.exists()


# -- my registrations -----------------------------------------------------------------


def test_my_registrations_shows_status_position_ics_and_the_qr_code(client, frozen_now):
    person = industry_rep()
    confirmed_for = roundtable_for(title_en="Roundtable with a seat")
    full = roundtable_for(title_en="Full roundtable", capacity=1)
    register(meeting=full, person=industry_rep(), consent=True)
    confirmed = register(meeting=confirmed_for, person=person, consent=True).registration
    register(meeting=full, person=person, consent=True)
    client.force_login(person)

    page = client.get("/my/registrations/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Roundtable with a seat" in page and "Full roundtable" in page
    assert "number 1 on the waiting list" in page
    assert f'href="/meetings/{confirmed_for.pk}.ics"' in page and f'href="/meetings/{full.pk}.ics"' in page
    # The check-in code as an inline SVG QR code, only for the confirmed seat.
    assert page.count('<svg role="img"') == 1
    assert confirmed.checkin_code in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert page.count("Cancel my registration") == 2


def test_cancelling_from_my_registrations(client, roundtable):
    person = industry_rep()
    registration = register(meeting=roundtable, person=person, consent=True).registration
    client.force_login(person)

    response = client.post(f"/my/registrations/{registration.pk}/cancel/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302 and response["Location"] == "/my/registrations/"
    assert messages_of(response) == ["Your registration is cancelled."]
    assert Registration.objects.get(pk=registration.pk).status == Status.CANCELLED


def test_cancelling_goes_back_to_a_safe_next_page_only(client, roundtable):
    person = industry_rep()
    registration = register(meeting=roundtable, person=person, consent=True).registration
    client.force_login(person)

    response = client.post(f"/my/registrations/{registration.pk}/cancel/", {"next": "https://evil.example/"})

    assert response["Location"] == "/my/registrations/"


def test_nobody_cancels_someone_elses_registration(client, roundtable):
    registration = register(meeting=roundtable, person=industry_rep(), consent=True).registration
    client.force_login(industry_rep())

    assert client.post(f"/my/registrations/{registration.pk}/cancel/").status_code == 404
    assert client.get(f"/my/registrations/{registration.pk}/cancel/").status_code == 405
    assert Registration.objects.get(pk=registration.pk).status == Status.CONFIRMED


def test_my_registrations_needs_signing_in_and_refuses_post(client):
    response = client.get("/my/registrations/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    client.force_login(industry_rep())
    assert client.post("/my/registrations/").status_code == 405


# -- the secretariat's pages ----------------------------------------------------------


def test_the_secretariat_sees_counts_by_status_country_and_organisation(client, cast, roundtable):
    japan, usa = CountryFactory(code="JP", name_en="Japan"), CountryFactory(code="US", name_en="United States")
    seto = OrganizationFactory(name="Seto Marine Engineering K.K.", country=japan)
    northstar = OrganizationFactory(name="Northstar Missile Systems Inc.", country=usa)
    for organization in (seto, seto, seto, northstar):
        register(meeting=roundtable, person=industry_rep(organization), consent=True)
    client.force_login(cast.secretariat)

    response = client.get(f"/meetings/{roundtable.pk}/registrations/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    counts = response.context["counts"]
    assert {value: count for value, _label, count in counts.by_status} == {
        "pending": 0, "confirmed": 3, "waitlisted": 1, "declined": 0, "cancelled": 0,
    }
    assert dict(counts.by_country) == {"Japan": {"confirmed": 2, "waitlisted": 1}, "United States": {"confirmed": 1}}
    assert dict(counts.by_organization)["Seto Marine Engineering K.K."] == {"confirmed": 2, "waitlisted": 1}
    page = response.content.decode()
    assert "Approve selected" in page and "Decline selected" in page and "Change the number of seats" in page


@pytest.mark.parametrize("role, expected", [("industry", 403), ("member", 403), ("cochair", 403), ("outsider", 403)])
def test_the_registrations_page_refuses_everyone_else(client, cast, roundtable, role, expected):
    client.force_login(cast.roles()[role])
    base = f"/meetings/{roundtable.pk}"

    assert client.get(f"{base}/registrations/").status_code == expected
    assert client.get(f"{base}/check-in/").status_code == expected
    assert client.get(f"{base}/check-in/attendance.json").status_code == expected
    assert client.post(f"{base}/registrations/capacity/", {"capacity": 99}).status_code == expected
    assert client.post(f"{base}/registrations/decide/", {"action": "decline", "reason": "x"}).status_code == expected
    assert Meeting.objects.get(pk=roundtable.pk).capacity == 25


def test_a_meeting_one_may_not_see_answers_404_even_for_its_pages(client, frozen_now, cast):
    meeting = roundtable_for(status=Meeting.Status.DRAFT)
    client.force_login(cast.cochair)

    assert client.get(f"/meetings/{meeting.pk}/registrations/").status_code == 404


def test_the_secretariats_pages_reject_the_wrong_method(client, cast, roundtable):
    client.force_login(cast.secretariat)
    base = f"/meetings/{roundtable.pk}"

    assert client.post(f"{base}/registrations/").status_code == 405
    assert client.get(f"{base}/registrations/decide/").status_code == 405
    assert client.get(f"{base}/registrations/capacity/").status_code == 405
    assert client.post(f"{base}/registrations/attendees.csv").status_code == 405
    assert client.post(f"{base}/check-in/").status_code == 405
    assert client.get(f"{base}/check-in/1/").status_code == 405


def test_bulk_decline_with_a_reason_and_bulk_approve(client, cast, frozen_now):
    meeting = roundtable_for(kind=Meeting.Kind.INDUSTRY_DAY, vetting_required=True)
    first, second, third = (register(meeting=meeting, person=industry_rep(), consent=True).registration for _ in range(3))
    client.force_login(cast.secretariat)
    url = f"/meetings/{meeting.pk}/registrations/decide/"

    response = client.post(url, {"action": "decline", "registration": [first.pk, second.pk], "reason": "Seats are for suppliers."},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response["Location"] == f"/meetings/{meeting.pk}/registrations/"
    assert messages_of(response) == ["2 registrations declined."]

    response = client.post(url, {"action": "approve", "registration": [third.pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert messages_of(response)[-1] == "1 approved: 1 confirmed, 0 on the waiting list (no seat left)."

    assert [Registration.objects.get(pk=r.pk).status for r in (first, second, third)] == [
        Status.DECLINED, Status.DECLINED, Status.CONFIRMED,
    ]
    assert Registration.objects.get(pk=first.pk).decline_reason == "Seats are for suppliers."


def test_a_decline_without_a_reason_is_a_message_and_changes_nothing(client, cast, roundtable):
    registration = register(meeting=roundtable, person=industry_rep(), consent=True).registration
    client.force_login(cast.secretariat)

    response = client.post(f"/meetings/{roundtable.pk}/registrations/decide/",
                           {"action": "decline", "registration": [registration.pk]}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert messages_of(response) == ["Give a reason for declining: it is sent to the person."]
    assert Registration.objects.get(pk=registration.pk).status == Status.CONFIRMED


@pytest.mark.parametrize("data", [{"action": "explode"}, {"action": "approve", "registration": ["x"]}, {}])
def test_nonsense_posted_to_the_decision_is_a_message_never_a_500(client, cast, roundtable, data):
    client.force_login(cast.secretariat)

    response = client.post(f"/meetings/{roundtable.pk}/registrations/decide/", data)

    assert response.status_code == 302 and messages_of(response)


def test_raising_the_capacity_from_the_page_promotes(client, cast, frozen_now):
    meeting = roundtable_for(capacity=1, seats_per_organization=None)
    register(meeting=meeting, person=industry_rep(), consent=True)
    waiting = register(meeting=meeting, person=industry_rep(), consent=True).registration
    client.force_login(cast.secretariat)

    response = client.post(f"/meetings/{meeting.pk}/registrations/capacity/", {"capacity": "2"}, HTTP_ACCEPT_LANGUAGE="en")

    assert messages_of(response) == [
        "The meeting now has 2 seats.", "1 person was promoted from the waiting list and told by e-mail.",
    ]
    assert Registration.objects.get(pk=waiting.pk).status == Status.CONFIRMED
    assert client.post(f"/meetings/{meeting.pk}/registrations/capacity/", {"capacity": "-3"}).status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).capacity == 2


# -- the check-in desk ----------------------------------------------------------------


def test_the_desk_finds_by_code_or_name_and_marks_present(client, cast, roundtable):
    yamada = industry_rep(full_name="Taro Yamada", full_name_ja="山田 太郎")
    registration = register(meeting=roundtable, person=yamada, consent=True).registration
    client.force_login(cast.secretariat)
    desk = f"/meetings/{roundtable.pk}/check-in/"

    assert [r.pk for r in client.get(desk, {"q": registration.checkin_code.lower()}).context["results"]] == [registration.pk]
    assert [r.pk for r in client.get(desk, {"q": "山田"}).context["results"]] == [registration.pk]
    page = client.get(desk, {"q": "yamada"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mark present" in page
    assert 'src="/static/js/check-in.js"' in page
    assert f'data-attendance-url="/meetings/{roundtable.pk}/check-in/attendance.json"' in page

    response = client.post(f"{desk}{registration.pk}/", {"q": "yamada"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response["Location"] == f"{desk}?q=yamada"
    assert messages_of(response) == ["Taro Yamada is checked in."]
    assert Registration.objects.get(pk=registration.pk).checked_in_at is not None
    assert client.get(f"{desk}attendance.json").json() == {"confirmed": 1, "present": 1}

    again = client.post(f"{desk}{registration.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert messages_of(again)[-1].startswith("Taro Yamada was already checked in at ")


def test_someone_not_confirmed_is_not_checked_in(client, cast, frozen_now):
    meeting = roundtable_for(capacity=1)
    register(meeting=meeting, person=industry_rep(), consent=True)
    waiting = register(meeting=meeting, person=industry_rep(full_name="Wai Ting"), consent=True).registration
    client.force_login(cast.secretariat)

    response = client.post(f"/meetings/{meeting.pk}/check-in/{waiting.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    assert messages_of(response) == [
        "Wai Ting is not confirmed for this meeting (waitlisted): do not admit without the secretariat."
    ]
    assert Registration.objects.get(pk=waiting.pk).checked_in_at is None


def test_a_registration_of_another_meeting_is_not_checked_in_here(client, cast, roundtable, frozen_now):
    other = register(meeting=roundtable_for(), person=industry_rep(), consent=True).registration
    client.force_login(cast.secretariat)

    assert client.post(f"/meetings/{roundtable.pk}/check-in/{other.pk}/").status_code == 404


# -- query counts ---------------------------------------------------------------------


def fill(meeting, count: int) -> None:
    """`count` registrations from 10 companies, made in bulk: the pages, not the set-up, are measured."""
    country = CountryFactory()
    companies = Organization.objects.bulk_create(
        Organization(name=f"Bulk company {meeting.pk}-{n}", kind=Organization.Kind.INDUSTRY, country=country)
        for n in range(10)
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"bulk-{meeting.pk}-{n}@example.org", email=f"bulk-{meeting.pk}-{n}@example.org") for n in range(count)
    )
    Profile.objects.bulk_create(
        Profile(user=user, full_name=f"Bulk person {n}", full_name_ja="山田", role=Profile.Role.INDUSTRY,
                organization=companies[n % 10], calendar_token=f"bulk-{meeting.pk}-{n}")
        for n, user in enumerate(users)
    )
    statuses = [Status.CONFIRMED, Status.WAITLISTED, Status.PENDING, Status.CANCELLED]
    Registration.objects.bulk_create(
        Registration(meeting=meeting, person=user, organization=companies[n % 10], status=statuses[n % 4],
                     checkin_code=f"B{meeting.pk:03d}{n:04d}")
        for n, user in enumerate(users)
    )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_secretariats_list_takes_as_many_queries_for_500_as_for_5(client, cast, frozen_now,
                                                                          django_assert_max_num_queries):
    few, many = roundtable_for(capacity=1000), roundtable_for(capacity=1000)
    fill(few, 5)
    fill(many, 500)
    client.force_login(cast.secretariat)
    baseline = queries_for(client, f"/meetings/{few.pk}/registrations/")

    with django_assert_max_num_queries(baseline):
        response = client.get(f"/meetings/{many.pk}/registrations/")

    assert len(response.context["registrations"]) == 500


def test_my_registrations_takes_as_many_queries_for_500_as_for_5(client, frozen_now, django_assert_max_num_queries):
    person = industry_rep()
    meetings = [roundtable_for(title_en=f"Meeting {n}") for n in range(500)]
    statuses = [Status.CONFIRMED, Status.WAITLISTED, Status.PENDING]
    Registration.objects.bulk_create(
        Registration(meeting=meeting, person=person, organization=person.profile.organization, status=statuses[n % 3])
        for n, meeting in enumerate(meetings)
    )
    few = industry_rep()
    Registration.objects.bulk_create(
        Registration(meeting=meeting, person=few, organization=few.profile.organization, status=statuses[n % 3])
        for n, meeting in enumerate(meetings[:5])
    )
    client.force_login(few)
    baseline = queries_for(client, "/my/registrations/")
    client.force_login(person)

    with django_assert_max_num_queries(baseline):
        response = client.get("/my/registrations/")

    assert len(response.context["registrations"]) == 500


def test_the_check_in_desk_takes_as_many_queries_for_500_as_for_5(client, cast, frozen_now,
                                                                      django_assert_max_num_queries):
    few, many = roundtable_for(capacity=1000), roundtable_for(capacity=1000)
    fill(few, 5)
    fill(many, 500)
    client.force_login(cast.secretariat)
    baseline = queries_for(client, f"/meetings/{few.pk}/check-in/?q=Bulk")

    with django_assert_max_num_queries(baseline):
        client.get(f"/meetings/{many.pk}/check-in/?q=Bulk")


@pytest.mark.parametrize("value", ["9" * 25, str(2**63), str(-(2**63) - 1)])
def test_an_out_of_range_registration_id_is_a_message_never_a_500(client, cast, roundtable, value):
    """Penetration test, finding 7: an id beyond a 64-bit integer gave a 500 (SQLite, the
    embedded default, cannot even take it as a parameter; PostgreSQL said "not for this meeting")."""
    registration = register(meeting=roundtable, person=industry_rep(), consent=True).registration
    client.force_login(cast.secretariat)

    response = client.post(f"/meetings/{roundtable.pk}/registrations/decide/",
                           {"action": "approve", "registration": [registration.pk, value]}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert messages_of(response) == ["The selection could not be understood; nothing was changed."]
    assert Registration.objects.get(pk=registration.pk).status == registration.status
