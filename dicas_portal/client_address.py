"""The client's address, the one function every part of the portal asks for it
(`client_ip(request)`): allauth's rate limits (participants/adapters.py), the audit record
(audit/) and any later API limit.

Behind the TLS proxy, REMOTE_ADDR is the proxy's. X-Forwarded-For is believed only when
the request comes from a configured trusted proxy (TRUSTED_PROXIES: addresses or CIDR
networks), and only as far back as the chain of trusted proxies goes: reading from the
right, the first address that is not a trusted proxy is the client. Whatever a client
writes further left is ignored, so it cannot choose the address its attempts count
against. A header that is empty, short or not addresses never fails the request: the
client is then the last address a trusted proxy vouched for. (allauth's own
ALLAUTH_TRUSTED_PROXY_COUNT believes any peer, and fails with 500 on a short header.)
"""

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Hops read from the right of X-Forwarded-For at most: more proxies than this is a
# misconfiguration, and a client can make the header long.
MAX_HOPS = 10
# Longer than any address in text, with a zone or brackets; longer entries are not read.
MAX_ENTRY_LENGTH = 64
PEER_ADDRESS_KEY = "PORTAL_PEER_ADDR"
_NOT_SET = object()


def parse_trusted_proxies(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks ("10.0.0.5", "10.1.0.0/16", "::1"); ValueError names a bad one."""
    networks = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_trusted_proxies(entries)


def trusted_networks() -> tuple[Network, ...]:
    return _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def parse_address(text: str | None) -> Address | None:
    if not text or len(text) > MAX_ENTRY_LENGTH:
        return None
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(remote_addr: str | None, forwarded_for: str | None,
                   networks: tuple[Network, ...]) -> str | None:
    """The client's address from the peer's and the X-Forwarded-For header; None when even
    the peer's is not an address (a misconfigured server)."""
    peer = parse_address(remote_addr)
    if peer is None:
        return None
    if not forwarded_for or not _is_trusted(peer, networks):
        return str(peer)
    client = peer
    for hop in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
        address = parse_address(hop)
        if address is None:
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the middleware found it (or would have)."""
    found = getattr(request, "client_ip", _NOT_SET)
    if found is not _NOT_SET:
        return found
    meta = request.META
    return client_address(meta.get(PEER_ADDRESS_KEY, meta.get("REMOTE_ADDR")), meta.get("HTTP_X_FORWARDED_FOR"),
                          trusted_networks())


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the peer itself is a trusted proxy, whose other headers (X-Request-ID) count."""
    meta = request.META
    peer = parse_address(meta.get(PEER_ADDRESS_KEY, meta.get("REMOTE_ADDR")))
    return peer is not None and _is_trusted(peer, trusted_networks())


class ClientAddressMiddleware:
    """First in MIDDLEWARE: sets `request.client_ip`, and REMOTE_ADDR to it for code that
    reads REMOTE_ADDR itself (Django's logs, libraries); the peer's stays in
    META["PORTAL_PEER_ADDR"]."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR")
        address = client_address(peer, request.META.get("HTTP_X_FORWARDED_FOR"), trusted_networks())
        request.client_ip = address
        request.META[PEER_ADDRESS_KEY] = peer
        if address is not None:
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)
