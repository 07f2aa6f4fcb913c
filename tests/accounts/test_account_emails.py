"""The account e-mails (allauth's: address confirmation, password reset, sign-up with an
address that has an account, a reset asked for an unknown address) are the portal's own:
its name in the subject and the text, text and HTML, in the recipient's language, with
links that work, and nothing of allauth's "[host:port] Hello from …"."""

import re

import pytest
from django.core import mail

from tests.factories import UserFactory, confirm_email

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase"
PORTAL_NAME = {"en": "DICAS Portal", "ja": "DICASポータル"}
WORDS = {
    "confirmation": {"en": "confirm your e-mail address", "ja": "メールアドレスを確認してください"},
    "reset": {"en": "Choose a new password", "ja": "新しいパスワードの設定"},
    "exists": {"en": "This address has an account already", "ja": "このアドレスのアカウントは既に存在します"},
    "unknown": {"en": "No account with this address", "ja": "このアドレスのアカウントはありません"},
}
OTHER = {"en": "ja", "ja": "en"}


def the_only_mail():
    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    message = mail.outbox[0]
    html = dict((kind, body) for body, kind in message.alternatives)["text/html"]
    return message, html


def assert_the_portals_own(message, html: str, language: str, words: str) -> list[str]:
    """The links of the text body, after checking what every account e-mail must show."""
    name = PORTAL_NAME[language]
    assert message.subject.startswith(name), message.subject
    assert WORDS[words][language] in message.subject + message.body
    for part in (message.subject, message.body, html):
        assert "Hello from" not in part and "[testserver]" not in part and "127.0.0.1" not in part
        assert PORTAL_NAME[OTHER[language]] not in part
    assert name in message.body and name in html
    assert f'<html lang="{language}">' in html
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(link.startswith("http://testserver/") for link in links), links
    for link in links:
        assert f'href="{link}"' in html, link
    return links


def account(language: str, email: str = "hanako.sato@seto-marine.example"):
    person = confirm_email(UserFactory(email=email, username=email, role="industry"))
    person.profile.preferred_language = language
    person.profile.save()
    return person


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_sign_up_confirmation_is_the_portals_and_its_link_confirms(client, language):
    response = client.post("/accounts/signup/", {"email": "new@seto-marine.example", "password1": PASSWORD,
                                                 "password2": PASSWORD}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302
    message, html = the_only_mail()
    (link,) = [link for link in assert_the_portals_own(message, html, language, "confirmation")
               if "/accounts/confirm-email/" in link]
    confirmed = client.post(link.removeprefix("http://testserver"))
    assert confirmed.status_code == 302
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(email="new@seto-marine.example").verified


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_password_reset_is_in_the_account_holders_language_whatever_page_asked(client, language):
    account(language)
    client.post("/accounts/password/reset/", {"email": "hanako.sato@seto-marine.example"},
                HTTP_ACCEPT_LANGUAGE=OTHER[language])
    message, html = the_only_mail()
    (link,) = [link for link in assert_the_portals_own(message, html, language, "reset") if "/password/reset/key/" in link]
    form = client.get(link.removeprefix("http://testserver"), follow=True)
    assert form.status_code == 200 and 'name="password1"' in form.content.decode()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_signing_up_with_an_address_that_has_an_account_tells_its_holder_in_their_language(client, language):
    account(language)
    client.post("/accounts/signup/", {"email": "hanako.sato@seto-marine.example", "password1": PASSWORD,
                                      "password2": PASSWORD}, HTTP_ACCEPT_LANGUAGE=OTHER[language])
    message, html = the_only_mail()
    links = assert_the_portals_own(message, html, language, "exists")
    assert any("/accounts/password/reset/" in link for link in links)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_reset_for_an_unknown_address_answers_in_the_language_of_the_page(client, language):
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"}, HTTP_ACCEPT_LANGUAGE=language)
    message, html = the_only_mail()
    links = assert_the_portals_own(message, html, language, "unknown")
    assert any(link == "http://testserver/accounts/signup/" for link in links), links
