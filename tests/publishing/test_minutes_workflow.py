"""Minutes go draft → in review → approved (a co-chair) → published (the secretariat); a
co-chair may return them with a comment; a published text is never edited, an amendment
is a new version through the same steps. Each allowed step works for each allowed role;
every forbidden one is refused with a message and changes nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forums.models import Meeting, Minutes
from forums.services import minutes as minutes_services
from notifications.models import Dispatch
from tests.factories import MeetingFactory, MinutesFactory
from tests.publishing.conftest import dispatches, messages_of, sign_in

pytestmark = pytest.mark.django_db

Status = Minutes.Status
STEP_URLS = {"submit": "forums:minutes_submit", "approve": "forums:minutes_approve",
             "return": "forums:minutes_return", "publish": "forums:minutes_publish"}
# Who may take each step, and the state it starts from.
ALLOWED = {"submit": "secretariat", "approve": "cochair", "return": "cochair", "publish": "secretariat"}
STARTS_FROM = {"submit": Status.DRAFT, "approve": Status.IN_REVIEW, "return": Status.IN_REVIEW,
               "publish": Status.APPROVED}
REFUSAL = {
    "submit": "Only the secretariat writes and publishes minutes.",
    "publish": "Only the secretariat writes and publishes minutes.",
    "approve": "Only a co-chair approves or returns minutes.",
    "return": "Only a co-chair approves or returns minutes.",
}


def state(minutes: Minutes) -> tuple:
    """Everything a step could change, to prove a refused one changed nothing."""
    minutes.refresh_from_db()
    return (
        tuple(getattr(minutes, field.attname) for field in Minutes._meta.concrete_fields),
        minutes.history.count(),
        Dispatch.objects.count(),
        Minutes.objects.count(),
    )


def step(client, name: str, minutes: Minutes, **data):
    if name == "return":
        data.setdefault("comment", "Please add the dates of the pilot cases.")
    return client.post(reverse(STEP_URLS[name], args=[minutes.pk]), data)


@pytest.fixture
def minutes(plenary) -> Minutes:
    return MinutesFactory(meeting=plenary, body="## Summary\n\nThe forum agreed on pilot cases.")


# The whole way, through the pages --------------------------------------------------------


def test_the_whole_workflow_through_the_pages_records_who_and_when(client, cast, plenary):
    sign_in(client, cast.secretariat)
    response = client.post(reverse("forums:minutes_start", args=[plenary.pk]))
    minutes = Minutes.objects.get(meeting=plenary)
    assert response["Location"] == reverse("forums:minutes_edit", args=[minutes.pk])
    assert minutes.created_by == cast.secretariat and minutes.status == Status.DRAFT

    edit = client.get(reverse("forums:minutes_edit", args=[minutes.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = edit.content.decode()
    assert "Save draft" in html and "Send for approval" in html and "js/minutes-preview.js" in html
    assert "<script>" not in html.split("<main")[1]  # no inline script: the CSP forbids them
    client.post(reverse("forums:minutes_edit", args=[minutes.pk]),
                {"body": "## Summary\n\n| a | b |\n|---|---|\n| 1 | 2 |", "marking": "public"})

    page = client.get(reverse("forums:minutes_workflow", args=[plenary.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Send for approval" in page.content.decode()
    step(client, "submit", minutes)
    minutes.refresh_from_db()
    assert (minutes.status, minutes.submitted_by) == (Status.IN_REVIEW, cast.secretariat)
    assert minutes.submitted_at is not None

    sign_in(client, cast.cochair)
    page = client.get(reverse("forums:minutes_workflow", args=[plenary.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Approve" in page and "Return with comment" in page and "<table>" in page
    step(client, "approve", minutes)
    minutes.refresh_from_db()
    assert (minutes.status, minutes.approved_by) == (Status.APPROVED, cast.cochair)

    sign_in(client, cast.secretariat)
    assert "Publish minutes" in client.get(reverse("forums:minutes_workflow", args=[plenary.pk]),
                                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    step(client, "publish", minutes)
    minutes.refresh_from_db()
    assert (minutes.status, minutes.published_by) == (Status.PUBLISHED, cast.secretariat)

    # Each step is in the history too, with who took it and why.
    reasons = list(minutes.history.order_by("history_date").values_list("history_change_reason", "history_user"))
    assert reasons == [("started", cast.secretariat.pk), ("edited", cast.secretariat.pk),
                       ("submitted", cast.secretariat.pk), ("approved", cast.cochair.pk),
                       ("published", cast.secretariat.pk)]
    assert [d.event for d in Dispatch.objects.order_by("pk")] == [
        Dispatch.Event.MINUTES_SUBMITTED, Dispatch.Event.MINUTES_APPROVED, Dispatch.Event.MINUTES_PUBLISHED]
    assert [d.audience for d in Dispatch.objects.order_by("pk")] == [
        Dispatch.Audience.COCHAIRS, Dispatch.Audience.SECRETARIAT, Dispatch.Audience.MEETING_VIEWERS]

    reader = sign_in(client, cast.outsider).get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert reader.context["minutes"] == minutes
    assert "<table>" in reader.content.decode()


def test_a_cochair_returns_the_minutes_with_a_comment_and_the_secretariat_sees_it(client, cast, minutes):
    minutes_services.submit_minutes(minutes=minutes, by=cast.secretariat)
    sign_in(client, cast.cochair)
    step(client, "return", minutes, comment="Please add the dates of the pilot cases.")
    minutes.refresh_from_db()
    assert minutes.status == Status.DRAFT
    assert (minutes.returned_by, minutes.return_comment) == (cast.cochair, "Please add the dates of the pilot cases.")
    [dispatch] = dispatches(Dispatch.Event.MINUTES_RETURNED)
    assert dispatch.audience == Dispatch.Audience.SECRETARIAT
    assert dispatch.context["comment"] == "Please add the dates of the pilot cases."

    page = sign_in(client, cast.secretariat).get(reverse("forums:minutes_workflow", args=[minutes.meeting_id]),
                                                 HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Returned by" in page and "Please add the dates of the pilot cases." in page
    # The secretariat edits and sends it again.
    minutes_services.save_minutes_draft(minutes=minutes, by=cast.secretariat, body="## Summary\n\nWith dates.")
    minutes_services.submit_minutes(minutes=minutes, by=cast.secretariat)
    assert minutes.status == Status.IN_REVIEW


def test_returning_without_a_comment_is_refused_and_changes_nothing(client, cast, minutes):
    minutes_services.submit_minutes(minutes=minutes, by=cast.secretariat)
    before = state(minutes)
    response = step(sign_in(client, cast.cochair), "return", minutes, comment="   ")
    assert "Say what should change: a comment is needed to return the minutes." in messages_of(
        client.get(response["Location"]))
    assert state(minutes) == before


# Forbidden by role -----------------------------------------------------------------------


def put_in(minutes: Minutes, status: str) -> Minutes:
    Minutes.objects.filter(pk=minutes.pk).update(status=status)
    minutes.refresh_from_db()
    return minutes


FORBIDDEN = [(name, role) for name in STEP_URLS for role in ("industry", "outsider", "member", "cochair", "secretariat")
             if role != ALLOWED[name]]


@pytest.mark.parametrize(("name", "role"), FORBIDDEN)
def test_each_step_is_refused_with_a_reason_to_the_roles_that_may_not_take_it(client, cast, minutes, name, role):
    put_in(minutes, STARTS_FROM[name])
    before = state(minutes)
    response = step(sign_in(client, cast.roles()[role]), name, minutes)
    assert response.status_code == 403
    assert REFUSAL[name] in response.content.decode()
    assert state(minutes) == before


@pytest.mark.parametrize("name", list(STEP_URLS))
def test_each_step_works_for_the_role_that_may_take_it(client, cast, minutes, name):
    put_in(minutes, STARTS_FROM[name])
    response = step(sign_in(client, cast.roles()[ALLOWED[name]]), name, minutes)
    assert response.status_code == 302
    minutes.refresh_from_db()
    expected = {"submit": Status.IN_REVIEW, "approve": Status.APPROVED, "return": Status.DRAFT,
                "publish": Status.PUBLISHED}
    assert minutes.status == expected[name]


@pytest.mark.parametrize("name", list(STEP_URLS))
def test_a_visitor_does_not_learn_of_minutes_of_a_meeting_they_may_not_see(client, cast, minutes, name):
    put_in(minutes, STARTS_FROM[name])
    before = state(minutes)
    assert step(client, name, minutes).status_code == 404  # the plenary is for participants only
    assert state(minutes) == before


def test_the_secretariat_alone_edits_a_draft(client, cast, minutes):
    before = state(minutes)
    for role in ("industry", "outsider", "member", "cochair"):
        response = sign_in(client, cast.roles()[role]).post(
            reverse("forums:minutes_edit", args=[minutes.pk]), {"body": "Rewritten", "marking": "public"})
        assert response.status_code == 403, role
        assert "Only the secretariat writes and publishes minutes." in response.content.decode()
    assert state(minutes) == before


def test_an_official_who_is_not_a_cochair_cannot_approve_even_through_the_service(cast, minutes):
    put_in(minutes, Status.IN_REVIEW)
    before = state(minutes)
    for person in (cast.outsider, cast.member, cast.secretariat, cast.industry):
        with pytest.raises(PermissionDenied):
            minutes_services.approve_minutes(minutes=minutes, by=person)
    assert state(minutes) == before


# Forbidden by state ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_unapproved_minutes_are_not_published(client, cast, minutes, status):
    put_in(minutes, status)
    before = state(minutes)
    response = step(sign_in(client, cast.secretariat), "publish", minutes)
    assert "Only minutes a co-chair has approved can be published." in messages_of(client.get(response["Location"]))
    assert state(minutes) == before


@pytest.mark.parametrize(("name", "status", "message"), [
    ("approve", Status.DRAFT, "Only minutes in review can be approved."),
    ("approve", Status.APPROVED, "Only minutes in review can be approved."),
    ("approve", Status.PUBLISHED, "Only minutes in review can be approved."),
    ("return", Status.APPROVED, "Only minutes in review can be returned."),
    ("submit", Status.IN_REVIEW, "Only a draft can be sent for approval."),
    ("submit", Status.PUBLISHED, "Only a draft can be sent for approval."),
    ("publish", Status.PUBLISHED, "Only minutes a co-chair has approved can be published."),
])
def test_a_step_out_of_order_is_refused_with_a_message(client, cast, minutes, name, status, message):
    put_in(minutes, status)
    before = state(minutes)
    response = step(sign_in(client, cast.roles()[ALLOWED[name]]), name, minutes)
    assert message in messages_of(client.get(response["Location"]))
    assert state(minutes) == before


def test_a_published_version_is_never_edited_in_place(client, cast, minutes):
    put_in(minutes, Status.PUBLISHED)
    before = state(minutes)
    sign_in(client, cast.secretariat)
    response = client.post(reverse("forums:minutes_edit", args=[minutes.pk]), {"body": "Rewritten", "marking": "public"})
    assert "Published minutes are never edited. Start an amendment to change them." in messages_of(
        client.get(response["Location"]))
    opened = client.get(reverse("forums:minutes_edit", args=[minutes.pk]), follow=True)
    assert "Published minutes are never edited. Start an amendment to change them." in messages_of(opened)
    with pytest.raises(ValidationError):
        minutes_services.save_minutes_draft(minutes=minutes, by=cast.secretariat, body="Rewritten")
    assert state(minutes) == before


def test_minutes_in_review_wait_for_the_cochairs_and_are_not_edited(cast, minutes):
    put_in(minutes, Status.IN_REVIEW)
    before = state(minutes)
    with pytest.raises(ValidationError):
        minutes_services.save_minutes_draft(minutes=minutes, by=cast.secretariat, body="Sneaky change")
    assert state(minutes) == before


def test_empty_minutes_are_not_sent_for_approval(cast, plenary):
    minutes = minutes_services.start_minutes(meeting=plenary, by=cast.secretariat)
    with pytest.raises(ValidationError):
        minutes_services.submit_minutes(minutes=minutes, by=cast.secretariat)
    assert minutes.status == Status.DRAFT


def test_minutes_are_started_once(client, cast, minutes):
    response = sign_in(client, cast.secretariat).post(reverse("forums:minutes_start", args=[minutes.meeting_id]))
    assert "These minutes are already started. Published minutes change by an amendment." in messages_of(
        client.get(response["Location"]))
    assert Minutes.objects.count() == 1


# Amendments ------------------------------------------------------------------------------


def publish_through_the_workflow(cast, minutes: Minutes) -> Minutes:
    minutes_services.submit_minutes(minutes=minutes, by=cast.secretariat)
    minutes_services.approve_minutes(minutes=minutes, by=cast.cochair)
    return minutes_services.publish_minutes(minutes=minutes, by=cast.secretariat)


def test_an_amendment_goes_through_the_same_steps_and_keeps_the_old_version_readable(client, cast, minutes):
    publish_through_the_workflow(cast, minutes)
    sign_in(client, cast.secretariat)
    response = client.post(reverse("forums:minutes_amend", args=[minutes.meeting_id]))
    amendment = Minutes.objects.get(meeting=minutes.meeting, version=2)
    assert response["Location"] == reverse("forums:minutes_edit", args=[amendment.pk])
    assert (amendment.status, amendment.body) == (Status.DRAFT, minutes.body)

    client.post(reverse("forums:minutes_edit", args=[amendment.pk]), {
        "body": "## Summary\n\nThe forum agreed on three pilot cases.\n\n- Yokosuka", "marking": "public"})
    # Until the amendment is published, readers keep version 1.
    reader = sign_in(client, cast.outsider)
    assert reader.get(minutes.meeting.get_absolute_url()).context["minutes"] == minutes
    assert client.get(reverse("forums:minutes_version", args=[amendment.pk])).status_code == 404

    amendment.refresh_from_db()
    publish_through_the_workflow(cast, amendment)
    assert dispatches(Dispatch.Event.MINUTES_AMENDED)[0].target == amendment
    assert client.get(minutes.meeting.get_absolute_url()).context["minutes"] == amendment

    versions = client.get(reverse("forums:minutes_versions", args=[minutes.meeting_id]), HTTP_ACCEPT_LANGUAGE="en")
    assert [m.version for m in versions.context["versions"]] == [2, 1]
    assert "Compare two versions" in versions.content.decode()
    old = client.get(reverse("forums:minutes_version", args=[minutes.pk]))
    assert old.status_code == 200 and "The forum agreed on pilot cases." in old.content.decode()

    diff = client.get(reverse("forums:minutes_diff", args=[minutes.meeting_id]), {"from": 1, "to": 2},
                      HTTP_ACCEPT_LANGUAGE="en")
    html = diff.content.decode()
    assert diff.status_code == 200
    assert "<ins><span class=\"usa-sr-only\">[added] </span>three </ins>" in html
    assert "<ins><span class=\"usa-sr-only\">[added] </span>- Yokosuka</ins>" in html


def test_the_diff_shows_removed_text_and_escapes_whatever_the_texts_hold(client, cast, plenary):
    first = MinutesFactory(meeting=plenary, version=1, status=Status.PUBLISHED,
                           body="Keep this.\nDrop <script>alert(1)</script> this line entirely.")
    MinutesFactory(meeting=plenary, version=2, status=Status.PUBLISHED, body="Keep this.\nA new <b>line</b>.")
    response = sign_in(client, cast.outsider).get(reverse("forums:minutes_diff", args=[first.meeting_id]),
                                                  {"from": 1, "to": 2})
    html = response.content.decode().split("<main")[1]
    assert "<del>" in html and "<ins>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>line</b>" not in html and "&lt;b&gt;line&lt;/b&gt;" in html


def test_comparing_versions_one_may_not_read_or_that_do_not_exist_answers_400(client, cast, minutes):
    publish_through_the_workflow(cast, minutes)
    minutes_services.start_amendment(meeting=minutes.meeting, by=cast.secretariat)  # version 2, a draft
    sign_in(client, cast.outsider)
    url = reverse("forums:minutes_diff", args=[minutes.meeting_id])
    assert client.get(url, {"from": 1, "to": 2}).status_code == 400
    assert client.get(url, {"from": "x", "to": 1}).status_code == 400
    assert client.get(url, {"from": 1, "to": 9}).status_code == 400


def test_one_version_is_in_the_making_at_a_time(cast, minutes):
    with pytest.raises(ValidationError):
        minutes_services.start_amendment(meeting=minutes.meeting, by=cast.secretariat)  # nothing published yet
    publish_through_the_workflow(cast, minutes)
    minutes_services.start_amendment(meeting=minutes.meeting, by=cast.secretariat)
    with pytest.raises(ValidationError):
        minutes_services.start_amendment(meeting=minutes.meeting, by=cast.secretariat)
    with pytest.raises(PermissionDenied):
        minutes_services.start_amendment(meeting=minutes.meeting, by=cast.cochair)
    assert Minutes.objects.filter(meeting=minutes.meeting).count() == 2


# Who sees what ---------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [
    ("anonymous", 404), ("industry", 404), ("outsider", 404), ("member", 404), ("cochair", 200), ("secretariat", 200),
])
def test_the_workflow_page_is_for_the_secretariat_and_the_cochairs(client, cast, minutes, role, expected):
    response = sign_in(client, cast.roles()[role]).get(reverse("forums:minutes_workflow", args=[minutes.meeting_id]))
    assert response.status_code == expected


@pytest.mark.parametrize("role", ["anonymous", "industry", "outsider", "member"])
def test_a_draft_is_not_readable_outside_the_workflow(client, cast, minutes, role):
    sign_in(client, cast.roles()[role])
    assert client.get(reverse("forums:minutes_version", args=[minutes.pk])).status_code == 404
    assert client.get(reverse("forums:minutes_versions", args=[minutes.meeting_id])).status_code == 404
    assert client.get(reverse("forums:minutes_print", args=[minutes.pk])).status_code == 404


def test_the_workflow_views_refuse_the_wrong_method(client, cast, minutes):
    sign_in(client, cast.secretariat)
    for name in ("forums:minutes_submit", "forums:minutes_approve", "forums:minutes_return", "forums:minutes_publish"):
        assert client.get(reverse(name, args=[minutes.pk])).status_code == 405, name
    assert client.get(reverse("forums:minutes_start", args=[minutes.meeting_id])).status_code == 405
    assert client.get(reverse("forums:minutes_amend", args=[minutes.meeting_id])).status_code == 405
    assert client.get(reverse("forums:minutes_preview")).status_code == 405
    assert client.post(reverse("forums:minutes_workflow", args=[minutes.meeting_id])).status_code == 405
    assert client.post(reverse("forums:minutes_versions", args=[minutes.meeting_id])).status_code == 405


def test_marked_minutes_are_withheld_from_those_without_clearance(client, cast):
    meeting = MeetingFactory(kind=Meeting.Kind.WORKING_GROUP, working_group=cast.group_a,
                             visibility=Meeting.Visibility.PARTICIPANTS)
    minutes = MinutesFactory(meeting=meeting, status=Status.PUBLISHED, marking="official_use_only",
                             body="Group-only discussion.")
    outsider = sign_in(client, cast.outsider).get(meeting.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert outsider.context["minutes"] is None and outsider.context["minutes_withheld"]
    assert "Group-only discussion." not in outsider.content.decode()
    assert client.get(reverse("forums:minutes_version", args=[minutes.pk])).status_code == 404

    member = sign_in(client, cast.member)
    assert "Group-only discussion." in member.get(meeting.get_absolute_url()).content.decode()
    printed = client.get(reverse("forums:minutes_print", args=[minutes.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert printed.count("OFFICIAL USE ONLY") == 2  # header and footer


# Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 500])
def test_the_versions_page_takes_the_same_queries_for_5_and_500_versions(client, cast, plenary, count,
                                                                       django_assert_max_num_queries):
    Minutes.objects.bulk_create(
        Minutes(meeting=plenary, version=number, body=f"Text {number}", status=Status.PUBLISHED,
                approved_by=cast.cochair, published_by=cast.secretariat, created_by=cast.secretariat)
        for number in range(1, count + 1)
    )
    for role in ("outsider", "secretariat"):
        sign_in(client, cast.roles()[role])
        with django_assert_max_num_queries(10):
            response = client.get(reverse("forums:minutes_versions", args=[plenary.pk]))
        assert len(response.context["versions"]) == count
        with django_assert_max_num_queries(10):
            client.get(reverse("forums:minutes_workflow", args=[plenary.pk]))
