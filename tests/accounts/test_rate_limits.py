"""allauth's rate limits on sign-in, sign-up and password reset, and a password reset that
does not tell whether an address has an account."""

import pytest
from django.core import mail

from tests.factories import UserFactory, confirm_email

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
TOO_MANY = "Too many failed login attempts"
MISMATCH = "The email address and/or password you specified are not correct."


def sign_in(client, email: str, password: str, address: str = "198.51.100.7"):
    return client.post("/accounts/login/", {"login": email, "password": password},
                       REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


def test_the_sixth_wrong_password_in_a_minute_for_one_account_is_refused_with_a_message(client):
    person = confirm_email(UserFactory(role="industry"))
    for attempt in range(5):
        response = sign_in(client, person.email, f"wrong-password-{attempt}")
        assert response.status_code == 200
        assert MISMATCH in response.content.decode(), attempt

    sixth = sign_in(client, person.email, "wrong-password-6")
    assert sixth.status_code == 200
    assert TOO_MANY in sixth.content.decode()
    # Even the right password waits now: the limit protects the account, not the guess.
    refused = sign_in(client, person.email, PASSWORD)
    assert TOO_MANY in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_limit_counts_per_account_even_from_several_addresses(client):
    person = confirm_email(UserFactory(role="industry"))
    for attempt in range(5):
        sign_in(client, person.email, "wrong", address=f"198.51.100.{attempt + 1}")
    assert TOO_MANY in sign_in(client, person.email, "wrong", address="198.51.100.99").content.decode()


def test_another_account_is_not_locked_by_someone_elses_failures(client):
    target, bystander = confirm_email(UserFactory(role="industry")), confirm_email(UserFactory(role="industry"))
    for _attempt in range(6):
        sign_in(client, target.email, "wrong")
    response = sign_in(client, bystander.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bystander.pk)


def test_the_limit_lifts_after_a_minute(client, settings):
    import time_machine
    from django.utils import timezone

    person = confirm_email(UserFactory(role="industry"))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _attempt in range(6):
            sign_in(client, person.email, "wrong")
    with time_machine.travel(start + timezone.timedelta(seconds=61), tick=False):
        assert sign_in(client, person.email, PASSWORD).status_code == 302


def test_sign_ups_from_one_address_are_limited(client):
    for number in range(20):
        response = client.post(
            "/accounts/signup/",
            {"email": f"flood{number}@example.org", "password1": "a-long-and-unusual-passphrase",
             "password2": "a-long-and-unusual-passphrase"},
            REMOTE_ADDR="203.0.113.50",
        )
        assert response.status_code == 302, number
    refused = client.post(
        "/accounts/signup/",
        {"email": "flood-last@example.org", "password1": "a-long-and-unusual-passphrase",
         "password2": "a-long-and-unusual-passphrase"},
        REMOTE_ADDR="203.0.113.50", HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()


def test_password_reset_requests_for_one_address_are_limited(client):
    person = confirm_email(UserFactory(role="industry"))
    for _attempt in range(5):
        assert client.post("/accounts/password/reset/", {"email": person.email}).status_code == 302
    refused = client.post("/accounts/password/reset/", {"email": person.email}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()


def test_password_reset_answers_the_same_whether_or_not_the_address_has_an_account(client):
    person = confirm_email(UserFactory(role="industry"))
    known = client.post("/accounts/password/reset/", {"email": person.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody-here@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    # Each address gets a message: the account's owner a link, the other a note that no
    # account uses it. The page shown to the visitor is the same.
    assert sorted(message.to[0] for message in mail.outbox) == sorted([person.email, "nobody-here@example.org"])
    done = client.get("/accounts/password/reset/done/")
    assert done.status_code == 200
