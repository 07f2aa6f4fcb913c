"""The audit record: who did what, when, from which address; a secretariat page to filter
and export it; no way to change or delete an entry through the portal."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory
from django.utils import timezone

from audit.admin import AuditEventAdmin
from audit.models import AuditEvent
from audit.services import record_event
from forums.models import Meeting, Registration
from forums.services import agenda as agenda_services
from forums.services import minutes as minutes_services
from forums.services.registrations import approve_registrations, change_capacity, decline_registrations
from tests.factories import AgendaItemFactory, MeetingFactory, RegistrationFactory, UserFactory, confirm_email

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
PASSWORD = "correct-horse-battery"
ADDRESS = "203.0.113.77"


def actions() -> list[str]:
    """What was recorded, the tests' own sign-ins (force_login) aside."""
    return list(AuditEvent.objects.exclude(action=Action.SIGNED_IN).order_by("pk").values_list("action", flat=True))


def test_a_sign_in_and_a_failed_one_are_recorded_with_the_address(client):
    person = confirm_email(UserFactory(role="industry"))
    client.post("/accounts/login/", {"login": person.email, "password": "wrong"}, REMOTE_ADDR=ADDRESS)
    client.post("/accounts/login/", {"login": person.email, "password": PASSWORD}, REMOTE_ADDR=ADDRESS)

    failed = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    assert failed.actor is None and failed.ip == ADDRESS and failed.detail["login"] == person.email
    assert "wrong" not in str(failed.detail)  # never the password
    signed_in = AuditEvent.objects.get(action=Action.SIGNED_IN)
    assert signed_in.actor == person and signed_in.ip == ADDRESS
    assert signed_in.at is not None

    client.post("/accounts/logout/", REMOTE_ADDR=ADDRESS)
    assert AuditEvent.objects.filter(action=Action.SIGNED_OUT, actor=person, ip=ADDRESS).exists()


def test_the_publication_steps_are_recorded(cast):
    meeting = MeetingFactory(visibility=Meeting.Visibility.PARTICIPANTS)
    AgendaItemFactory(meeting=meeting)
    agenda_services.publish_agenda(meeting=meeting, by=cast.secretariat)
    minutes = minutes_services.start_minutes(meeting=meeting, by=cast.secretariat, body="Agreed.")
    minutes_services.save_minutes_draft(minutes=minutes, by=cast.secretariat, body="Agreed the next steps.")
    minutes_services.submit_minutes(minutes=minutes, by=cast.secretariat)
    minutes_services.return_minutes(minutes=minutes, by=cast.cochair, comment="Name the shipyards.")
    minutes_services.submit_minutes(minutes=minutes, by=cast.secretariat)
    minutes_services.approve_minutes(minutes=minutes, by=cast.cochair)
    minutes_services.publish_minutes(minutes=minutes, by=cast.secretariat)
    minutes_services.start_amendment(meeting=meeting, by=cast.secretariat)

    assert actions() == [
        Action.AGENDA_PUBLISHED, Action.MINUTES_STARTED, Action.MINUTES_SUBMITTED, Action.MINUTES_RETURNED,
        Action.MINUTES_SUBMITTED, Action.MINUTES_APPROVED, Action.MINUTES_PUBLISHED, Action.MINUTES_AMENDED,
    ]
    approval = AuditEvent.objects.get(action=Action.MINUTES_APPROVED)
    assert approval.actor == cast.cochair and approval.target == minutes


def test_registration_decisions_and_exports_are_recorded(client, cast):
    meeting = MeetingFactory(kind=Meeting.Kind.ROUNDTABLE, capacity=5, vetting_required=True)
    first, second = (RegistrationFactory(meeting=meeting, person=UserFactory(role="industry"),
                                         status=Registration.Status.PENDING) for _ in range(2))
    approve_registrations(meeting=meeting, registration_ids=[first.pk], by=cast.secretariat)
    decline_registrations(meeting=meeting, registration_ids=[second.pk], reason="Not an industry body.",
                          by=cast.secretariat)
    change_capacity(meeting=meeting, capacity=8, by=cast.secretariat)
    client.force_login(cast.secretariat)
    assert client.get(f"/meetings/{meeting.pk}/registrations/attendees.csv", REMOTE_ADDR=ADDRESS).status_code == 200

    assert actions() == [Action.REGISTRATION_APPROVED, Action.REGISTRATION_DECLINED, Action.CAPACITY_CHANGED,
                         Action.ATTENDEES_EXPORTED]
    declined = AuditEvent.objects.get(action=Action.REGISTRATION_DECLINED)
    assert declined.detail == {"registrations": [second.pk], "reason": "Not an industry body."}
    assert AuditEvent.objects.get(action=Action.ATTENDEES_EXPORTED).ip == ADDRESS


def test_the_secretariat_filters_the_record(client, cast):
    client.force_login(cast.secretariat)
    AuditEvent.objects.all().delete()  # the sign-in just made; the portal itself never deletes
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=10)):
        record_event(actor=cast.member, action=Action.SIGNED_IN, ip="192.0.2.1")
    record_event(actor=cast.member, action=Action.PAPER_DOWNLOADED, ip="192.0.2.2")
    record_event(actor=cast.cochair, action=Action.SIGNED_IN, ip="192.0.2.3")

    def shown(query: str) -> list[str]:
        response = client.get(f"/audit/?{query}")
        assert response.status_code == 200, query
        return [event.ip for event in response.context["page"].object_list]

    assert shown("") == ["192.0.2.3", "192.0.2.2", "192.0.2.1"]
    assert shown(f"actor={cast.member.email}") == ["192.0.2.2", "192.0.2.1"]
    assert shown("action=account.signed_in") == ["192.0.2.3", "192.0.2.1"]
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert shown(f"start={yesterday}") == ["192.0.2.3", "192.0.2.2"]
    assert shown(f"end={yesterday}") == ["192.0.2.1"]
    assert shown("ip=192.0.2.2") == ["192.0.2.2"]


@pytest.mark.parametrize("query", ["start=1200-01-01", "end=not-a-date", "action=account.deleted_everything",
                                   "ip=999.1.1.1", "start=2030-01-02&end=2030-01-01", "page=-4&actor=%00"])
def test_filters_that_make_no_sense_are_reported_never_fatal(client, cast, query):
    client.force_login(cast.secretariat)
    response = client.get(f"/audit/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "could not be understood" in response.content.decode()


def test_the_export_is_csv_safe_from_formulas_and_is_itself_recorded(client, cast):
    # What someone typed at the sign-in form lands in the record, and in a spreadsheet.
    client.post("/accounts/login/", {"login": "=1+2@evil.example", "password": "not-the-password"})
    client.force_login(cast.secretariat)
    response = client.get("/audit/export.csv?action=account.sign_in_failed")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "When (UTC)"
    assert len(rows) == 2
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED, actor=cast.secretariat).exists()


def test_a_cell_starting_with_a_formula_is_neutralised(client, cast):
    record_event(actor=None, action=Action.SIGN_IN_FAILED, detail={"login": "x"})
    AuditEvent.objects.update(target_repr="=cmd|' /C calc'!A0")
    client.force_login(cast.secretariat)
    text = b"".join(client.get("/audit/export.csv").streaming_content).decode("utf-8-sig")
    assert "'=cmd|" in text


@pytest.mark.parametrize("who", ["anonymous", "industry", "outsider", "member", "cochair"])
def test_only_the_secretariat_reads_the_record(client, cast, who):
    person = cast.roles()[who]
    if person is not None:
        client.force_login(person)
    for path in ["/audit/", "/audit/export.csv"]:
        response = client.get(path)
        assert response.status_code == (302 if person is None else 403), (who, path)


def test_nobody_changes_or_deletes_an_entry_through_the_portal(client, cast):
    event = record_event(actor=cast.member, action=Action.SIGNED_IN)
    client.force_login(cast.secretariat)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/audit/").status_code == 405
        assert getattr(client, method)("/audit/export.csv").status_code == 405

    admin = AuditEventAdmin(AuditEvent, admin_site)
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, event)
    assert not admin.has_delete_permission(request, event)
    # A superuser posting the admin's change or delete form is refused too.
    superuser = confirm_email(UserFactory(is_superuser=True, is_staff=True))
    client.force_login(superuser)
    assert client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == Action.SIGNED_IN


def test_the_audit_page_takes_the_same_queries_for_5_and_200_entries(client, cast, django_assert_max_num_queries):
    AuditEvent.objects.bulk_create(AuditEvent(actor=cast.member, action=Action.SIGNED_IN, target_repr=str(n))
                                   for n in range(200))
    client.force_login(cast.secretariat)
    with django_assert_max_num_queries(8):
        assert client.get("/audit/").status_code == 200


def test_an_address_that_is_no_address_is_stored_as_unknown(client, cast):
    client.force_login(cast.secretariat)
    client.get("/audit/export.csv", REMOTE_ADDR="not-an-ip")
    assert AuditEvent.objects.get(action=Action.AUDIT_EXPORTED).ip is None
