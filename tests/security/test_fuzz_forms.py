"""Property-based tests of the main forms: whatever is posted, the portal answers with a
page, a message or a redirect (2xx, 3xx or 4xx), never a 500, and never redirects off-site.

Hypothesis drives each form with garbage (tests/security/garbage.py); HYPOTHESIS_PROFILE=
thorough runs ten times as many examples.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import given, settings
from hypothesis import strategies as st

from forums.models import Meeting, Minutes, Registration
from participants.models import Invitation, Organization
from participants.invitations import invitation_token
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    MeetingFactory,
    MinutesFactory,
    OrganizationFactory,
    RegistrationFactory,
    UserFactory,
)

from .garbage import FORM, examples, form_data

pytestmark = pytest.mark.django_db

ANSWERS = {200, 301, 302, 400, 403, 404}
# Pages whose form takes `request.POST or None` answer an empty POST as a GET: the form, 200.
FORM_PAGE = {200, 302, 400}


def answered(response, *, allowed: set[int] = ANSWERS) -> None:
    # 400 is always a fair answer: a body past Django's size limit is refused as one.
    assert response.status_code in allowed | {400}, response.status_code
    if response.status_code in (301, 302):
        location = response["Location"]
        # Every redirect stays on the portal, whatever `next` said.
        assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}), location[:200]


def post(client, path: str, body: str):
    # The redirects are not followed, so their messages would pile up in the cookie from
    # example to example (and cost more and more to sign): each example starts without.
    client.cookies.pop("messages", None)
    return client.post(path, body, content_type=FORM)


@pytest.fixture
def signed_in(client):
    def sign_in(person):
        client.force_login(person)
        return client

    return sign_in


@pytest.fixture
def roundtable(cast) -> Meeting:
    now = timezone.now()
    return MeetingFactory(kind=Meeting.Kind.ROUNDTABLE, visibility=Meeting.Visibility.PUBLIC, capacity=3,
                          registration_opens_at=now - timedelta(days=1), registration_closes_at=now + timedelta(days=9))


PROFILE_FIELDS = ["full_name", "full_name_ja", "organization", "new_organization", "country", "job_title",
                  "preferred_language", "time_zone", "next"]


# The page lists every IANA time zone: each answer is heavier than most.
@settings(max_examples=examples(60))
@given(body=form_data(PROFILE_FIELDS))
def test_the_profile_step_survives_garbage(signed_in, db, body):
    client = signed_in(_newcomer())
    answered(post(client, "/profile/details/", body), allowed={302, 400})


def _newcomer():
    # One account for all examples: the first valid post completes its profile, and the
    # page then serves as the place to change one's details, which takes the same form.
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="newcomer@example.org").first()
    return user or UserFactory(username="newcomer@example.org")


@settings(max_examples=examples(120))
@given(body=form_data(["note", "consent", "next"]))
def test_registering_survives_garbage(signed_in, cast, roundtable, body):
    client = signed_in(cast.industry)
    answered(post(client, f"/meetings/{roundtable.pk}/register/", body), allowed={302})


AGENDA_FIELDS = ["title_en", "title_ja", "presenter", "presenter_organization", "duration_minutes", "notes",
                 "reviews_action_items"]


@pytest.fixture
def agenda_meeting(cast) -> Meeting:
    meeting = MeetingFactory(visibility=Meeting.Visibility.PARTICIPANTS)
    AgendaItemFactory(meeting=meeting)
    return meeting


@settings(max_examples=examples(150))
@given(body=form_data(AGENDA_FIELDS), edit=st.booleans())
def test_the_agenda_item_form_survives_garbage(signed_in, cast, agenda_meeting, body, edit):
    client = signed_in(cast.secretariat)
    path = (f"/agenda-items/{agenda_meeting.agenda_items.first().pk}/edit/" if edit
            else f"/meetings/{agenda_meeting.pk}/agenda/add/")
    answered(post(client, path, body), allowed=FORM_PAGE)


@settings(max_examples=examples(60))
@given(body=form_data(["direction"]))
def test_moving_an_agenda_item_survives_garbage(signed_in, cast, agenda_meeting, body):
    client = signed_in(cast.secretariat)
    answered(post(client, f"/agenda-items/{agenda_meeting.agenda_items.first().pk}/move/", body),
             allowed={302, 400})


@settings(max_examples=examples(150))
@given(body=form_data(["body", "marking"]), where=st.sampled_from(["edit", "preview", "return"]))
def test_the_minutes_forms_survive_garbage(signed_in, cast, body, where):
    meeting = Meeting.objects.filter(title_en="Fuzzed minutes").first() or MeetingFactory(
        title_en="Fuzzed minutes", visibility=Meeting.Visibility.PARTICIPANTS)
    draft = Minutes.objects.filter(meeting=meeting).first() or MinutesFactory(meeting=meeting)
    if where == "edit":
        answered(post(signed_in(cast.secretariat), f"/minutes/{draft.pk}/edit/", body), allowed=FORM_PAGE)
    elif where == "preview":
        answered(post(signed_in(cast.secretariat), "/minutes/preview/", body), allowed={200, 400})
    else:
        # A co-chair returning minutes in review: the comment is free text.
        in_review = MinutesFactory(meeting=MeetingFactory(), status=Minutes.Status.IN_REVIEW)
        answered(post(signed_in(cast.cochair), f"/minutes/{in_review.pk}/return/",
                      body.replace("body=", "comment=")), allowed={302})


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@settings(max_examples=examples(100))
@given(
    title=st.one_of(st.text(max_size=400), st.just("x" * 5000)),
    language=st.one_of(st.sampled_from(["en", "ja"]), st.text(max_size=10)),
    marking=st.one_of(st.sampled_from(["public", "official_use_only", "export_controlled"]), st.text(max_size=20)),
    filename=st.one_of(st.sampled_from(["paper.pdf", "../../etc/passwd", "a.pdf.exe", ".pdf", "ア.pdf"]),
                       st.text(min_size=1, max_size=60)),
    content=st.one_of(st.just(PDF), st.binary(max_size=200)),
)
def test_the_paper_upload_form_survives_garbage(signed_in, cast, settings_media, title, language, marking,
                                                filename, content):
    meeting = Meeting.objects.filter(title_en="Fuzzed papers").first() or MeetingFactory(title_en="Fuzzed papers")
    client = signed_in(cast.secretariat)
    # The test client refuses to send a name with no file name in it ("/"): a browser
    # sends the last part of the path, which is what this keeps.
    name = filename.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1] or "x"
    upload = SimpleUploadedFile(name if name not in (".", "..") else "x", content)
    response = client.post(f"/meetings/{meeting.pk}/papers/upload/",
                           {"title": title, "language": language, "marking": marking, "file": upload})
    answered(response, allowed=FORM_PAGE)


@settings(max_examples=examples(40))
@given(body=form_data(["title", "language", "marking", "file"]))
def test_the_paper_upload_form_survives_a_post_without_a_file(signed_in, cast, body):
    meeting = Meeting.objects.filter(title_en="Fuzzed papers").first() or MeetingFactory(title_en="Fuzzed papers")
    answered(post(signed_in(cast.secretariat), f"/meetings/{meeting.pk}/papers/upload/", body), allowed=FORM_PAGE - {302})


@pytest.fixture
def settings_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@settings(max_examples=examples(120))
@given(body=form_data(["email", "role", "organization", "full_name", "language"]))
def test_the_invitation_form_survives_garbage(signed_in, cast, body):
    answered(post(signed_in(cast.secretariat), "/invitations/", body), allowed=FORM_PAGE)


@settings(max_examples=examples(80))
@given(body=form_data(["full_name", "full_name_ja", "job_title", "password1", "password2"]))
def test_accepting_an_invitation_survives_garbage(client, cast, body):
    invitation = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).first()
    if invitation is None:
        invitation = Invitation.objects.create(
            email=f"invitee{Invitation.objects.count()}@mod.example", role="official",
            organization=OrganizationFactory(kind=Organization.Kind.GOVERNMENT), invited_by=cast.secretariat,
            expires_at=timezone.now() + timedelta(days=7))
    client.logout()
    answered(post(client, f"/invitations/accept/{invitation_token(invitation)}/", body), allowed=FORM_PAGE)


@settings(max_examples=examples(120))
@given(body=form_data(["time_zone", "language", "next"]), signed=st.booleans(),
       target=st.sampled_from(["/preferences/time-zone/", "/i18n/setlang/"]))
def test_the_language_and_time_zone_switches_survive_garbage(client, cast, body, signed, target):
    if signed:
        client.force_login(cast.member)
    else:
        client.logout()
    answered(post(client, target, body), allowed={302})


@pytest.fixture
def vetted_roundtable(roundtable, cast) -> Meeting:
    RegistrationFactory(meeting=roundtable, person=cast.industry, status=Registration.Status.PENDING)
    return roundtable


@settings(max_examples=examples(100))
@given(body=form_data(["action", "reason", "registration", "capacity", "q"]),
       where=st.sampled_from(["decide", "capacity", "check-in"]))
def test_the_registration_desk_forms_survive_garbage(signed_in, cast, vetted_roundtable, body, where):
    client = signed_in(cast.secretariat)
    base = f"/meetings/{vetted_roundtable.pk}"
    path = {"decide": f"{base}/registrations/decide/", "capacity": f"{base}/registrations/capacity/",
            "check-in": f"{base}/check-in/{vetted_roundtable.registrations.first().pk}/"}[where]
    answered(post(client, path, body), allowed={302})


@settings(max_examples=examples(100))
@given(body=form_data(["text", "working_group", "owner_person", "owner_organization", "due_on", "status", "next"]),
       where=st.sampled_from(["add", "status"]))
def test_the_action_item_forms_survive_garbage(signed_in, cast, body, where):
    item = ActionItemFactory(working_group=cast.group_a, owner_person=cast.member) if where == "status" else None
    meeting = MeetingFactory(working_group=cast.group_a, kind=Meeting.Kind.WORKING_GROUP)
    client = signed_in(cast.secretariat)
    path = f"/meetings/{meeting.pk}/action-items/add/" if where == "add" else f"/action-items/{item.pk}/status/"
    answered(post(client, path, body), allowed=FORM_PAGE)


@settings(max_examples=examples(90))
@given(body=form_data(["agenda", "minutes", "meetings", "papers", "action_items", "registrations", "role",
                       "password"]),
       where=st.sampled_from(["preferences", "role", "sign-out"]))
def test_the_account_forms_survive_garbage(signed_in, cast, body, where):
    if where == "preferences":
        answered(post(signed_in(cast.member), "/notifications/preferences/", body), allowed=FORM_PAGE)
    elif where == "role":
        answered(post(signed_in(cast.secretariat), f"/people/{cast.industry.profile.pk}/role/", body),
                 allowed=FORM_PAGE)
    else:
        # After ten wrong passwords in a minute, allauth's limit answers 429.
        answered(post(signed_in(cast.member), "/profile/sign-out-everywhere/", body), allowed={200, 400, 429})
