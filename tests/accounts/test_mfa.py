"""Multi-factor sign-in (allauth.mfa): required for officials, co-chairs and the
secretariat, optional for industry; TOTP codes and recovery codes at sign-in."""

import re

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import UserFactory, confirm_email, enrol_totp, totp_code, totp_secret_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
SETUP = "/accounts/2fa/totp/activate/"
CHALLENGE = "/accounts/2fa/authenticate/"
# Where someone who must have a second factor and has none is sent: the link to their address.
ENROL = "/security/enrol/"


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def sign_in_with_password(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


@pytest.mark.parametrize("role", ["official", "cochair", "secretariat"])
def test_a_privileged_person_without_mfa_is_sent_to_set_it_up_from_every_page(client, role):
    person = confirm_email(UserFactory(role=role, mfa=False))
    client.force_login(person)
    for path in ["/", "/meetings/", "/profile/", "/my/registrations/", "/notifications/preferences/",
                 "/my/action-items/", "/invitations/", "/audit/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == ENROL, path
    # Nothing is done on their behalf meanwhile either.
    assert client.post("/profile/calendar-token/reset/")["Location"] == ENROL
    # The set-up itself, signing out and the switchers stay reachable.
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)
    assert client.post("/preferences/time-zone/", {"time_zone": "Asia/Tokyo"}).status_code == 302
    assert client.get("/accounts/logout/").status_code == 200


def test_setting_up_an_authenticator_app_opens_the_portal(client, django_capture_on_commit_callbacks):
    official = confirm_email(UserFactory(role="official", mfa=False))
    client.force_login(official)

    # The set-up opens from the link sent to the person's address (test_mfa_hardening.py).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ENROL)
    link = re.search(r"https?://[^/\s]+(/security/enrol/[^/\s]+/)", mail.outbox[-1].body).group(1)
    assert client.get(link)["Location"] == SETUP
    # allauth asks for the password again before a second factor is added.
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    client.post(response["Location"], {"password": PASSWORD})
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = page.context["form"].secret

    wrong = client.post(SETUP, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=official).exists()

    with django_capture_on_commit_callbacks(execute=True):  # allauth tells of it after the commit
        done = client.post(SETUP, {"code": totp_code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=official, type=Authenticator.Type.TOTP).exists()
    # Recovery codes come with it, for the day the phone is lost.
    assert Authenticator.objects.filter(user=official, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.get("/meetings/").status_code == 200
    assert AuditEvent.objects.filter(actor=official, action=AuditEvent.Action.MFA_ADDED).exists()


def test_with_totp_set_sign_in_asks_for_the_code_and_refuses_a_wrong_one(client):
    official = confirm_email(UserFactory(role="official"))
    secret = totp_secret_of(official)

    response = sign_in_with_password(client, official)
    assert response.status_code == 302 and response["Location"] == CHALLENGE
    assert signed_in_user_id(client) is None  # the password alone signs nobody in

    right = totp_code(secret)
    wrong = client.post(CHALLENGE, {"code": "123456" if right != "123456" else "654321"})
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()
    assert signed_in_user_id(client) is None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MFA_FAILED, target_id=official.pk).exists()

    accepted = client.post(CHALLENGE, {"code": right})
    assert accepted.status_code == 302
    assert signed_in_user_id(client) == str(official.pk)
    assert client.get("/meetings/").status_code == 200
    assert AuditEvent.objects.filter(actor=official, action=AuditEvent.Action.SIGNED_IN).exists()


def test_a_totp_code_from_another_time_window_is_refused(client):
    official = confirm_email(UserFactory(role="official"))
    secret = totp_secret_of(official)
    sign_in_with_password(client, official)
    with time_machine.travel(timezone.now().replace(second=5, microsecond=0), tick=False):
        stale = totp_code(secret, at=timezone.now() - timezone.timedelta(minutes=5))
        assert stale != totp_code(secret)  # (one chance in a million that they coincide)
        assert client.post(CHALLENGE, {"code": stale}).status_code == 200
        assert signed_in_user_id(client) is None


def test_a_recovery_code_works_once(client):
    cochair = confirm_email(UserFactory(role="cochair"))
    codes = RecoveryCodes.activate(cochair).generate_codes()

    sign_in_with_password(client, cochair)
    assert client.post(CHALLENGE, {"code": codes[0]}).status_code == 302
    assert signed_in_user_id(client) == str(cochair.pk)
    client.post("/accounts/logout/")

    sign_in_with_password(client, cochair)
    again = client.post(CHALLENGE, {"code": codes[0]})
    assert again.status_code == 200 and signed_in_user_id(client) is None
    # Another, unused code still works.
    assert client.post(CHALLENGE, {"code": codes[1]}).status_code == 302
    assert signed_in_user_id(client) == str(cochair.pk)


def test_the_same_totp_code_is_not_accepted_twice(client):
    official = confirm_email(UserFactory(role="official"))
    secret = totp_secret_of(official)
    with time_machine.travel(timezone.now().replace(second=5, microsecond=0), tick=False):
        code = totp_code(secret)
        sign_in_with_password(client, official)
        assert client.post(CHALLENGE, {"code": code}).status_code == 302
        client.post("/accounts/logout/")
        sign_in_with_password(client, official)
        assert client.post(CHALLENGE, {"code": code}).status_code == 200
        assert signed_in_user_id(client) is None


def test_mfa_is_optional_for_an_industry_representative(client):
    industry = confirm_email(UserFactory(role="industry"))
    assert not Authenticator.objects.filter(user=industry).exists()
    client.force_login(industry)
    assert client.get("/meetings/").status_code == 200
    # …and available if they want it.
    response = client.get(SETUP)
    client.post(response["Location"], {"password": PASSWORD})
    assert client.get(SETUP).status_code == 200


def test_an_industry_representative_with_totp_is_asked_for_the_code_too(client):
    industry = confirm_email(UserFactory(role="industry"))
    enrol_totp(industry)
    assert sign_in_with_password(client, industry)["Location"] == CHALLENGE
    assert signed_in_user_id(client) is None


def test_the_admin_sign_in_form_sends_to_the_portals_which_asks_for_the_code(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert re.match(r"^/accounts/login/\?next=", response["Location"])


def test_removing_the_authenticator_sends_a_privileged_person_back_to_set_up(client):
    official = confirm_email(UserFactory(role="official"))
    client.force_login(official)
    assert client.get("/meetings/").status_code == 200
    Authenticator.objects.filter(user=official).delete()
    # This session remembered the second factor; a new sign-in checks again.
    client.force_login(official)
    assert client.get("/meetings/")["Location"] == ENROL


def test_the_demo_data_enrols_the_privileged_accounts_with_the_printed_secret(client, settings):
    import io

    from django.core.management import call_command

    from forums.management.commands.load_demo import DEMO_TOTP_SECRET

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    output = io.StringIO()
    call_command("load_demo", stdout=output)
    assert DEMO_TOTP_SECRET in output.getvalue()
    enrolled = set(Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user__email", flat=True))
    assert {"secretariat@dicas.example", "cochair.us@dicas.example", "official.jp@dicas.example"} <= enrolled
    assert "industry@dicas.example" not in enrolled

    response = client.post("/accounts/login/", {"login": "official.jp@dicas.example", "password": "dicas-demo-2024"})
    assert response["Location"] == CHALLENGE
    assert client.post(CHALLENGE, {"code": totp_code(DEMO_TOTP_SECRET)}).status_code == 302
