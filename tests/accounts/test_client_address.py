"""The client's address: X-Forwarded-For is believed only from a trusted proxy, and then by
the rate limits and in the audit record; no header, however short or odd, gives a 500."""

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from dicas_portal.client_address import client_address, parse_address, parse_trusted_proxies
from tests.factories import UserFactory, confirm_email

PROXIES = parse_trusted_proxies(["10.0.0.0/8", "192.0.2.10", "2001:db8:ffff::/48"])
PROXY = "10.0.0.2"
PASSWORD = "correct-horse-battery"
TOO_MANY = "Too many failed login attempts"


@pytest.mark.parametrize(("peer", "header", "client"), [
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # an untrusted peer cannot name another address
    (PROXY, "198.51.100.1", "198.51.100.1"),
    (PROXY, "1.2.3.4, 198.51.100.1", "198.51.100.1"),  # what the client wrote before the proxy's entry
    (PROXY, "1.2.3.4, 198.51.100.1, 192.0.2.10", "198.51.100.1"),  # two trusted proxies in a row
    (PROXY, "198.51.100.1,10.0.0.7", "198.51.100.1"),
    ("192.0.2.10", "2001:db8::1", "2001:db8::1"),
    (PROXY, "[2001:db8::1]", "2001:db8::1"),
    (PROXY, "::ffff:198.51.100.1", "198.51.100.1"),
    ("::ffff:10.0.0.2", "198.51.100.1", "198.51.100.1"),
    (PROXY, "", PROXY),  # short or odd headers: the last address a trusted proxy vouched for
    (PROXY, ",", PROXY),
    (PROXY, " , , ", PROXY),
    (PROXY, "unknown", PROXY),
    (PROXY, "198.51.100.1, garbage", PROXY),
    (PROXY, "10.0.0.7", "10.0.0.7"),
    (PROXY, "999.1.1.1", PROXY),
    ("not-an-address", "198.51.100.1", None),
    ("", "198.51.100.1", None),
])
def test_the_client_address_is_read_back_only_through_trusted_proxies(peer, header, client):
    assert client_address(peer, header, PROXIES) == client


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(PROXY, "198.51.100.1", ()) == PROXY


def test_a_bad_trusted_proxy_entry_is_named():
    with pytest.raises(ValueError, match="'10.0.0.0/33'"):
        parse_trusted_proxies(["10.0.0.1", "10.0.0.0/33"])


@given(header=st.text(max_size=300))
def test_any_header_gives_the_peer_or_an_address_from_it(header):
    found = client_address(PROXY, header, PROXIES)
    named = {str(address) for address in map(parse_address, header.split(",")) if address is not None}
    assert found == PROXY or found in named


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]


def sign_in(client, email: str, password: str, *, peer: str, forwarded_for: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=peer,
                       HTTP_ACCEPT_LANGUAGE="en", **headers)


@pytest.mark.django_db
def test_the_audit_record_keeps_the_client_behind_a_trusted_proxy(client, behind_proxy):
    person = confirm_email(UserFactory(role="industry"))
    sign_in(client, person.email, "wrong", peer=PROXY, forwarded_for="203.0.113.50, 198.51.100.23")
    sign_in(client, person.email, PASSWORD, peer=PROXY, forwarded_for="198.51.100.23")

    failed = AuditEvent.objects.get(action=AuditEvent.Action.SIGN_IN_FAILED)
    signed_in = AuditEvent.objects.get(action=AuditEvent.Action.SIGNED_IN)
    assert failed.ip == signed_in.ip == "198.51.100.23"


@pytest.mark.django_db
def test_the_audit_record_ignores_the_header_from_an_untrusted_peer(client, behind_proxy):
    person = confirm_email(UserFactory(role="industry"))
    sign_in(client, person.email, "wrong", peer="203.0.113.9", forwarded_for="198.51.100.23")
    assert AuditEvent.objects.get(action=AuditEvent.Action.SIGN_IN_FAILED).ip == "203.0.113.9"


@pytest.mark.django_db
def test_the_per_address_limit_counts_the_client_behind_the_proxy_not_the_proxy(behind_proxy, settings):
    settings.PORTAL_SIGN_IN_FAILURES_PER_ADDRESS = "3/m"
    guessed = [confirm_email(UserFactory(role="industry")) for _ in range(4)]
    colleague = confirm_email(UserFactory(role="industry"))
    for person in guessed[:3]:
        sign_in(Client(), person.email, "wrong", peer=PROXY, forwarded_for="198.51.100.66")

    stopped = sign_in(Client(), guessed[3].email, "wrong", peer=PROXY, forwarded_for="198.51.100.66")
    assert TOO_MANY in stopped.content.decode()
    # Another client behind the same proxy is not counted with the first.
    assert sign_in(Client(), colleague.email, PASSWORD, peer=PROXY, forwarded_for="198.51.100.67").status_code == 302


@pytest.mark.django_db
def test_an_untrusted_peer_cannot_escape_the_limit_by_writing_the_header(behind_proxy, settings):
    settings.PORTAL_SIGN_IN_FAILURES_PER_ADDRESS = "3/m"
    people = [confirm_email(UserFactory(role="industry")) for _ in range(4)]
    for number, person in enumerate(people[:3]):
        sign_in(Client(), person.email, "wrong", peer="203.0.113.9", forwarded_for=f"198.51.100.{number}")
    stopped = sign_in(Client(), people[3].email, "wrong", peer="203.0.113.9", forwarded_for="198.51.100.99")
    assert TOO_MANY in stopped.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["", ",", " ", "unknown", "198.51.100.1,,", "::::", "a" * 5000,
                                    "1.2.3.4, " * 500, "\x00", "[", "]", "[::1", "10.0.0.7"])
def test_no_forwarded_header_gives_a_500(behind_proxy, header):
    client = Client(raise_request_exception=False)
    person = confirm_email(UserFactory(role="industry"))
    for response in (
        client.get("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header),
        sign_in(client, person.email, "wrong", peer=PROXY, forwarded_for=header),
        client.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header),
    ):
        assert response.status_code < 500, (header, response.status_code)
