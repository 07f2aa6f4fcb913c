"""Erasing a person: their name, addresses, password and authenticators go, the account
stays as "erased-<id>" and cannot sign in, the audit record says it happened without
saying who they were, and the ledger beside the backups names them for later restores."""

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from dicas_portal import erasure_ledger
from participants.models import EnrolmentLink, Invitation
from participants.services import change_role, erase_person, reapply_erasure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ledger(settings, tmp_path):
    settings.PERSONAL_DATA_ERASURE_LEDGER = tmp_path / "erasure-ledger.jsonl"
    return settings.PERSONAL_DATA_ERASURE_LEDGER


def test_an_erased_person_is_anonymised_signed_out_and_named_in_the_ledger(client, cast, ledger):
    person = UserFactory(role="official", email="k.tanaka@mod.example")
    person.profile.full_name, person.profile.full_name_ja, person.profile.job_title = "Kenji Tanaka", "田中 健二", "Director"
    person.profile.save()
    old_token = person.profile.calendar_token
    Invitation.objects.create(email=person.email, role="official", organization=cast.member.profile.organization
                              or person.profile.organization, accepted_by=person,
                              expires_at="2030-01-01T00:00:00Z")
    change_role(profile=person.profile, role="industry", by=cast.secretariat)  # given at once: no four eyes
    assert not client.login(username="k.tanaka@mod.example", password="a wrong password")  # recorded as typed
    assert AuditEvent.objects.filter(detail__login="k.tanaka@mod.example").exists()
    client.force_login(person)
    assert client.get(reverse("participants:profile")).status_code == 200

    erase_person(user=person, by=cast.secretariat)

    person.refresh_from_db()
    person.profile.refresh_from_db()
    assert person.email == f"erased-{person.pk}@erased.invalid" and person.username == f"erased-{person.pk}"
    assert not person.is_active and not person.has_usable_password()
    assert (person.profile.full_name, person.profile.full_name_ja, person.profile.job_title) == ("", "", "")
    assert person.profile.calendar_token != old_token
    assert not EmailAddress.objects.filter(user=person).exists()
    assert not Authenticator.objects.filter(user=person).exists()
    assert not Invitation.objects.filter(email="k.tanaka@mod.example").exists()
    assert not EnrolmentLink.objects.filter(email__iexact="k.tanaka@mod.example").exists()
    # The audit record keeps what happened, not who they were.
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERSON_ERASED)
    assert event.actor == cast.secretariat and event.target_id == person.pk
    assert "k.tanaka@mod.example" not in json.dumps(list(AuditEvent.objects.values("detail", "target_repr")))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED, target_id=person.pk).exists()
    # Signed out at the next request, and cannot sign in again.
    assert client.get(reverse("participants:profile")).status_code == 302
    assert not client.login(username="k.tanaka@mod.example", password="anything")
    assert erasure_ledger.erased_user_ids() == [person.pk]


def test_the_ledger_keeps_its_lines_when_the_last_was_cut_short(ledger):
    erasure_ledger.record_erasure(user_id=7)
    erasure_ledger.record_erasure(user_id=9)
    erasure_ledger.record_erasure(user_id=7)
    with open(ledger, "a") as file:
        file.write('{"user_id": 1')  # a crash mid-write
    assert erasure_ledger.erased_user_ids() == [7, 9]


def test_reapplying_an_erasure_to_an_account_that_is_not_there_changes_nothing(ledger):
    assert reapply_erasure(user_id=987654) is False
    assert not AuditEvent.objects.exists()


def test_the_command_erases_a_person_by_address(cast, ledger):
    person = UserFactory(role="industry", email="someone@seto-marine.example")
    call_command("erase_person", "someone@seto-marine.example", "--yes")
    person.refresh_from_db()
    assert person.email.endswith("@erased.invalid")
    assert erasure_ledger.erased_user_ids() == [person.pk]


def test_reapplying_an_erasure_already_in_the_database_adds_nothing(cast, ledger):
    person = UserFactory(role="industry")
    erase_person(user=person, by=cast.secretariat)
    events = AuditEvent.objects.count()
    assert reapply_erasure(user_id=person.pk) is False
    assert AuditEvent.objects.count() == events
