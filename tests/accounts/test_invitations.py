"""Officials, co-chairs and the secretariat join by invitation: an e-mail with a signed
link that works once, for 7 days; the invitee sets a password, then MFA."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from participants.invitations import invitation_token
from participants.models import Invitation, Organization, Profile
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

INVITEE = "kenji.tanaka@mod.example"
PASSWORD = "a-long-and-unusual-passphrase"
SETUP = "/accounts/2fa/totp/activate/"


@pytest.fixture
def ministry(db) -> Organization:
    return OrganizationFactory(name="Ministry of Defense", kind=Organization.Kind.GOVERNMENT)


@pytest.fixture
def invite(client, cast, ministry, django_capture_on_commit_callbacks):
    """The secretariat invites INVITEE through the page; returns the link in the e-mail."""

    def invite(email: str = INVITEE, role: str = "official") -> str:
        client.force_login(cast.secretariat)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/invitations/", {
                "email": email, "role": role, "organization": ministry.pk, "full_name": "Kenji Tanaka",
                "language": "en",
            })
        assert response.status_code == 302, response.content.decode()[:2000]
        client.logout()
        message = mail.outbox[-1]
        assert message.to == [email]
        return re.search(r"http://localhost:8000(/invitations/accept/[^\s]+/)", message.body).group(1)

    return invite


def accept(client, link: str, **overrides):
    data = {"full_name": "Kenji Tanaka", "full_name_ja": "田中 健二", "job_title": "Deputy director",
            "password1": PASSWORD, "password2": PASSWORD}
    data.update(overrides)
    return client.post(link, data)


def test_the_invitation_e_mail_carries_a_link_that_makes_the_account_with_the_invited_role(client, invite, ministry):
    link = invite()
    message = mail.outbox[-1]
    assert "Official" in message.subject
    assert "7 days" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and link in html

    page = client.get(link)
    assert page.status_code == 200 and "Ministry of Defense" in page.content.decode()
    response = accept(client, link, role="secretariat")  # a role posted here is ignored

    # Signed in, and sent to set up the second factor before anything else.
    assert response.status_code == 302 and response["Location"] == SETUP
    person = get_user_model().objects.get(email=INVITEE)
    assert client.session["_auth_user_id"] == str(person.pk)
    assert person.profile.role == Profile.Role.OFFICIAL
    assert person.profile.organization == ministry
    assert person.profile.full_name_ja == "田中 健二"
    assert EmailAddress.objects.get(user=person).verified
    assert client.get("/meetings/")["Location"] == SETUP
    # The password was just typed: allauth does not ask for it again before the set-up.
    assert client.get(SETUP).status_code == 200

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditEvent.Action.INVITATION_SENT, AuditEvent.Action.INVITATION_ACCEPTED,
            AuditEvent.Action.SIGNED_IN} <= actions


def test_a_link_used_twice_is_refused(client, invite):
    link = invite()
    accept(client, link)
    client.logout()

    again = client.get(link)
    assert again.status_code == 400
    assert "already been used" in again.content.decode()
    assert accept(client, link).status_code == 400
    assert get_user_model().objects.filter(email=INVITEE).count() == 1


def test_an_expired_link_is_refused(client, invite):
    link = invite()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(link)
        assert response.status_code == 400
        assert "expired" in response.content.decode()
        assert accept(client, link).status_code == 400
    assert not get_user_model().objects.filter(email=INVITEE).exists()


def test_a_link_still_works_on_the_sixth_day(client, invite):
    link = invite()
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert client.get(link).status_code == 200


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
    lambda token: token.replace(token.split(":")[0], token.split(":")[0][::-1], 1),  # the payload
    lambda token: "not-a-token",
    lambda token: token + "%00",
])
def test_a_tampered_link_is_refused(client, invite, tamper):
    link = invite()
    token = link.rstrip("/").rsplit("/", 1)[1]
    response = client.get(f"/invitations/accept/{tamper(token)}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_link_signed_for_another_invitation_is_refused(client, invite):
    invite()
    invitation = Invitation.objects.get()
    invitation.pk = None
    forged = invitation_token(invitation).replace("null", str(10**6))
    assert client.get(f"/invitations/accept/{forged}/").status_code == 400


def test_a_withdrawn_invitation_and_a_superseded_link_are_refused(client, cast, invite):
    first_link = invite()
    invitation = Invitation.objects.get()
    client.force_login(cast.secretariat)
    client.post(f"/invitations/{invitation.pk}/resend/")
    client.logout()
    # Sending a new link voids the old one.
    assert client.get(first_link).status_code == 400

    client.force_login(cast.secretariat)
    client.post(f"/invitations/{invitation.pk}/revoke/")
    client.logout()
    invitation.refresh_from_db()
    response = client.get(f"/invitations/accept/{invitation_token(invitation)}/")
    assert response.status_code == 400 and "withdrawn" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_REVOKED).exists()


def test_inviting_an_address_again_voids_the_earlier_invitation(client, invite):
    first = invite()
    second = invite()
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_a_weak_or_mistyped_password_is_refused_with_a_message(client, invite):
    link = invite()
    short = accept(client, link, password1="short", password2="short")
    assert short.status_code == 400 and "too short" in short.content.decode()
    differ = accept(client, link, password2=PASSWORD + "x")
    assert differ.status_code == 400 and "differ" in differ.content.decode()
    assert not get_user_model().objects.filter(email=INVITEE).exists()


def test_a_signed_in_visitor_is_told_to_sign_out_first(client, cast, invite):
    link = invite()
    client.force_login(cast.industry)
    response = client.get(link)
    assert response.status_code == 200 and "sign out" in response.content.decode()
    assert accept(client, link).status_code == 200
    assert not get_user_model().objects.filter(email=INVITEE).exists()


def test_an_address_that_has_an_account_is_not_invited(client, cast, ministry):
    client.force_login(cast.secretariat)
    response = client.post("/invitations/", {"email": cast.industry.email.upper(), "role": "official",
                                             "organization": ministry.pk, "language": "en"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", ["administrator", "industry", "superuser"])
def test_only_officials_co_chairs_and_secretariat_are_invited(client, cast, ministry, role):
    client.force_login(cast.secretariat)
    response = client.post("/invitations/", {"email": INVITEE, "role": role, "organization": ministry.pk,
                                             "language": "en"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["industry", "outsider", "member", "cochair"])
def test_only_the_secretariat_invites(client, cast, ministry, who):
    client.force_login(getattr(cast, who))
    assert client.get("/invitations/").status_code == 403
    response = client.post("/invitations/", {"email": INVITEE, "role": "official", "organization": ministry.pk,
                                             "language": "en"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_visitor_is_sent_to_sign_in(client):
    assert client.get("/invitations/")["Location"].startswith("/accounts/login/")


def test_the_invitation_is_written_in_the_chosen_language(client, cast, ministry, django_capture_on_commit_callbacks):
    client.force_login(cast.secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/invitations/", {"email": INVITEE, "role": "official", "organization": ministry.pk,
                                      "language": "ja"})
    message = mail.outbox[-1]
    assert "DICAS" in message.subject
    assert Invitation.objects.get().language == "ja"


def test_the_invitations_page_lists_what_was_sent(client, cast, invite):
    invite()
    client.force_login(cast.secretariat)
    page = client.get("/invitations/")
    assert page.status_code == 200
    assert INVITEE in page.content.decode()


def test_two_accepts_of_one_link_make_one_account(client, invite):
    link = invite()
    token = link.rstrip("/").rsplit("/", 1)[1]
    from participants.invitations import InvitationRefused, accept_invitation

    accept_invitation(token=token, full_name="Kenji Tanaka", password=PASSWORD)
    with pytest.raises(InvitationRefused):
        accept_invitation(token=token, full_name="Kenji Tanaka", password=PASSWORD)
    assert get_user_model().objects.filter(email=INVITEE).count() == 1


def test_an_invited_secretariat_member_is_sent_to_mfa_too(client, invite):
    link = invite(role="secretariat")
    assert accept(client, link)["Location"] == SETUP
    person = get_user_model().objects.get(email=INVITEE)
    # The secretariat role itself waits for a second member (tests/accounts/test_separation_of_duties.py).
    assert person.profile.role == Profile.Role.OFFICIAL
    assert person.profile.role_grants.get().role == Profile.Role.SECRETARIAT
    assert client.get("/meetings/")["Location"] == SETUP


def test_a_user_factory_person_is_not_an_invitation(cast):
    # The cast's privileged people come with an authenticator (tests/factories.py).
    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user=cast.secretariat).exists()
    assert not Authenticator.objects.filter(user=cast.industry).exists()
    assert UserFactory(role="official", mfa=False).profile.role == "official"


def test_an_unverified_secondary_address_does_not_block_an_invitation(client, cast, invite):
    """Penetration test, finding 7: anyone could add a future invitee's address, unverified,
    to their own account and so keep the invitation from ever being sent."""
    EmailAddress.objects.create(user=cast.industry, email=INVITEE, verified=False, primary=False)

    link = invite()
    response = accept(client, link)

    assert response.status_code == 302
    invitee = get_user_model().objects.get(email=INVITEE)
    assert invitee.profile.role == Profile.Role.OFFICIAL
    # The squatter's unproven claim on the address is gone; their own account stays.
    assert not EmailAddress.objects.filter(user=cast.industry, email__iexact=INVITEE).exists()
    assert EmailAddress.objects.get(email__iexact=INVITEE).user == invitee


def test_a_verified_address_still_blocks_an_invitation(client, cast, ministry):
    EmailAddress.objects.create(user=cast.industry, email=INVITEE, verified=True, primary=False)
    client.force_login(cast.secretariat)

    response = client.post("/invitations/", {"email": INVITEE, "role": "official", "organization": ministry.pk,
                                             "language": "en"})

    assert response.status_code == 400
    assert not Invitation.objects.exists()
