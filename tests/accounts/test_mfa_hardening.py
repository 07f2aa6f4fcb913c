"""Finding 6 of the penetration test (issue 13): multi-factor sign-in that could be stripped.

A privileged person could switch off their only factor, and after that (or once promoted)
the password alone enrolled a new one. Now: the last factor of a privileged account stays;
enrolling one needs a single-use link sent to the verified address; wrong codes after a
right password slow the second step down and tell the person and the secretariat; a
stranger's wrong passwords never lock the owner out; TOTP secrets are encrypted at rest."""

import re
from email.utils import parseaddr

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.utils import timezone

from tests.factories import UserFactory, confirm_email, enrol_totp, totp_code, totp_secret_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
SETUP = "/accounts/2fa/totp/activate/"
DEACTIVATE = "/accounts/2fa/totp/deactivate/"
CHALLENGE = "/accounts/2fa/authenticate/"
ENROL = "/security/enrol/"
LINK = re.compile(r"https?://[^/\s]+(/security/enrol/[^/\s]+/)")


def sign_in_with_password(client, user, address: str = "198.51.100.7"):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, REMOTE_ADDR=address,
                       HTTP_ACCEPT_LANGUAGE="en")


def reauthenticate(client):
    """allauth asks for the password again before a factor is added or removed."""
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})


def enrolment_links_to(address: str) -> list[str]:
    return [LINK.search(message.body).group(1) for message in mail.outbox
            if address in message.to and LINK.search(message.body)]


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


# The last factor ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["official", "cochair", "secretariat", "administrator"])
def test_a_privileged_person_cannot_switch_off_their_only_authenticator(client, role):
    person = confirm_email(UserFactory(role=role, is_superuser=role == "administrator",
                                       is_staff=role == "administrator"))
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    client.force_login(person)
    reauthenticate(client)
    response = client.post(DEACTIVATE, HTTP_ACCEPT_LANGUAGE="en")
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert response.status_code == 200
    assert "cannot switch off your last second factor" in response.content.decode()


def test_a_privileged_person_cannot_remove_their_only_security_key(client):
    official = confirm_email(UserFactory(role="official", mfa=False))
    key = Authenticator.objects.create(user=official, type=Authenticator.Type.WEBAUTHN,
                                       data={"name": "Desk key", "credential": {}})
    client.force_login(official)
    reauthenticate(client)
    client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")
    assert Authenticator.objects.filter(pk=key.pk).exists()


def test_an_industry_representative_may_switch_theirs_off(client):
    industry = confirm_email(UserFactory(role="industry"))
    enrol_totp(industry)
    client.force_login(industry)
    reauthenticate(client)
    client.post(DEACTIVATE)
    assert not Authenticator.objects.filter(user=industry, type=Authenticator.Type.TOTP).exists()


# Enrolment by a link sent to the verified address ----------------------------------------


def test_after_promotion_the_password_alone_enrols_no_authenticator(client, cast, django_capture_on_commit_callbacks):
    from django.test import Client

    person = confirm_email(cast.industry)
    secretariat = Client()
    secretariat.force_login(cast.secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        secretariat.post(f"/people/{person.profile.pk}/role/", {"role": "official"})

    # Someone holding only the password: signed in, and sent to the enrolment page…
    sign_in_with_password(client, person)
    assert signed_in_user_id(client) == str(person.pk)
    assert client.get("/meetings/")["Location"] == ENROL
    # …which is no set-up: allauth's own page sends there too, password typed again or not.
    assert client.get(SETUP)["Location"] == ENROL
    reauthenticate(client)
    assert client.get(SETUP)["Location"] == ENROL
    assert client.post(SETUP, {"code": "123456"})["Location"] == ENROL
    assert not Authenticator.objects.filter(user=person).exists()

    # The link went to the verified address; it opens the set-up, once.
    links = enrolment_links_to(person.email)
    assert len(links) == 1
    opened = client.get(links[0])
    assert opened.status_code == 302 and opened["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert client.post(SETUP, {"code": totp_code(secret)}).status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert client.get("/meetings/").status_code == 200

    again = client.get(links[0], HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    assert "already been used" in again.content.decode()


def test_someone_whose_factor_was_removed_asks_for_a_link_and_only_their_session_can_use_it(
    client, django_capture_on_commit_callbacks
):
    from django.test import Client

    official = confirm_email(UserFactory(role="official"))
    Authenticator.objects.filter(user=official).delete()  # e.g. the phone lost, reset by an administrator
    sign_in_with_password(client, official)
    page = client.get(ENROL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(ENROL)
    assert asked.status_code == 302
    [link] = enrolment_links_to(official.email)

    # Another account's session, or nobody's, cannot use it.
    other = Client()
    other.force_login(confirm_email(UserFactory(role="official", mfa=False)))
    assert other.get(link).status_code == 400
    assert Client().get(link)["Location"].startswith("/accounts/login/")

    assert client.get(link)["Location"] == SETUP
    reauthenticate(client)  # allauth's own check before a factor is added, as for everyone
    assert client.get(SETUP).status_code == 200


def test_an_altered_enrolment_link_is_refused(client):
    official = confirm_email(UserFactory(role="official", mfa=False))
    client.force_login(official)
    response = client.get("/security/enrol/not-a-real-token/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert client.get(SETUP)["Location"] == ENROL


# Wrong codes after a right password ------------------------------------------------------


def wait_seconds(response) -> int:
    found = re.search(r"try again in (\d+) seconds", response.content.decode())
    assert found, response.content.decode()[:2000]
    return int(found.group(1))


def test_wrong_codes_slow_the_second_step_down_more_and_more_and_tell_the_person_and_the_secretariat(
    client, cast, django_capture_on_commit_callbacks
):
    official = confirm_email(cast.outsider)
    secret = totp_secret_of(official)
    right = totp_code(secret)
    wrong = "000000" if right != "000000" else "111111"
    start = timezone.now().replace(second=5, microsecond=0)

    with time_machine.travel(start, tick=False):
        sign_in_with_password(client, official)
        with django_capture_on_commit_callbacks(execute=True):
            for _attempt in range(3):
                assert "Incorrect code" in client.post(CHALLENGE, {"code": wrong}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        # Now even the right code waits.
        refused = client.post(CHALLENGE, {"code": totp_code(secret)}, HTTP_ACCEPT_LANGUAGE="en")
        assert signed_in_user_id(client) is None
        first_wait = wait_seconds(refused)
        assert first_wait > 0

    told = {parseaddr(address)[1] for message in mail.outbox for address in message.to}
    assert official.email in told and cast.secretariat.email in told
    notice = next(message for message in mail.outbox if official.email in message.to[0])
    assert "wrong" in notice.subject.lower()

    later = start + timezone.timedelta(seconds=first_wait + 1)
    with time_machine.travel(later, tick=False):
        client.post(CHALLENGE, {"code": wrong}, HTTP_ACCEPT_LANGUAGE="en")
        second_wait = wait_seconds(client.post(CHALLENGE, {"code": wrong}, HTTP_ACCEPT_LANGUAGE="en"))
        assert second_wait > first_wait  # the delay grows

    with time_machine.travel(later + timezone.timedelta(seconds=second_wait + 1), tick=False):
        accepted = client.post(CHALLENGE, {"code": totp_code(secret)})
        assert accepted.status_code == 302
        assert signed_in_user_id(client) == str(official.pk)


def test_a_right_code_resets_the_count(client):
    official = confirm_email(UserFactory(role="official"))
    secret = totp_secret_of(official)
    right = totp_code(secret)
    wrong = "000000" if right != "000000" else "111111"
    sign_in_with_password(client, official)
    client.post(CHALLENGE, {"code": wrong})
    client.post(CHALLENGE, {"code": wrong})
    assert client.post(CHALLENGE, {"code": right}).status_code == 302
    client.post("/accounts/logout/")
    sign_in_with_password(client, official)
    client.post(CHALLENGE, {"code": wrong})
    # Had the count gone on, this third wrong code in a row would make the next one wait.
    response = client.post(CHALLENGE, {"code": wrong}, HTTP_ACCEPT_LANGUAGE="en")
    assert "try again in" not in response.content.decode()


# A stranger's wrong passwords --------------------------------------------------------------


def test_wrong_passwords_typed_by_a_stranger_never_lock_the_owner_out_of_their_own_browser(client):
    from django.test import Client

    owner = confirm_email(UserFactory(role="industry"))
    assert sign_in_with_password(client, owner, address="192.0.2.10").status_code == 302
    client.post("/accounts/logout/")

    stranger = Client()
    start = timezone.now()
    for tick in range(18):  # a wrong password every ten seconds for three minutes
        with time_machine.travel(start + timezone.timedelta(seconds=10 * tick), tick=False):
            stranger.post("/accounts/login/", {"login": owner.email, "password": f"guess-{tick}"},
                          REMOTE_ADDR=f"203.0.113.{tick + 1}")
            if tick == 6:
                # The stranger is held back all along…
                held = stranger.post("/accounts/login/", {"login": owner.email, "password": PASSWORD},
                                     REMOTE_ADDR="203.0.113.99", HTTP_ACCEPT_LANGUAGE="en")
                assert "Too many failed login attempts" in held.content.decode()
            if tick in (6, 12, 17):
                # …while the owner, in the browser they signed in with before, gets in at once.
                assert sign_in_with_password(client, owner, address="192.0.2.10").status_code == 302
                assert signed_in_user_id(client) == str(owner.pk)
                client.post("/accounts/logout/")


# Secrets at rest -----------------------------------------------------------------------------


def test_totp_secrets_are_stored_encrypted_and_still_work(client, settings):
    official = confirm_email(UserFactory(role="official", mfa=False))
    secret = generate_totp_secret()
    TOTP.activate(official, secret)
    stored = Authenticator.objects.get(user=official, type=Authenticator.Type.TOTP).data["secret"]
    assert secret not in stored and stored != secret
    assert totp_secret_of(official) == secret  # read back through allauth's adapter

    sign_in_with_password(client, official)
    assert client.post(CHALLENGE, {"code": totp_code(secret)}).status_code == 302


def test_secrets_stored_before_encryption_are_encrypted_once_by_the_migration():
    from django.apps import apps

    from participants.mfa_secrets import encrypt_stored_secrets

    official = confirm_email(UserFactory(role="official", mfa=False))
    secret = generate_totp_secret()
    Authenticator.objects.create(user=official, type=Authenticator.Type.TOTP, data={"secret": secret})

    encrypt_stored_secrets(apps.get_model("mfa", "Authenticator"))
    once = Authenticator.objects.get(user=official).data["secret"]
    assert once != secret and totp_secret_of(official) == secret
    encrypt_stored_secrets(apps.get_model("mfa", "Authenticator"))  # again: nothing changes
    assert Authenticator.objects.get(user=official).data["secret"] == once
