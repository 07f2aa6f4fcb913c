"""What a production portal refuses to start with.

Each check names the environment variable to change, and all are reported at once, so that
an operator fixes a deployment in one pass rather than one restart per mistake. Only the
standard library is used: this runs while the settings module is still being read.
"""

import ipaddress
import math
from collections import Counter
from collections.abc import Mapping
from urllib.parse import urlsplit

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-not-for-production"
SECRET_KEY_MIN_LENGTH = 50
# Bits of the key's own letter frequencies (Shannon), times its length. A key from
# `secrets.token_urlsafe(50)` or Django's `get_random_secret_key()` has about 250 to 350;
# a word or a run of a few characters repeated has far fewer.
SECRET_KEY_MIN_ENTROPY_BITS = 200
TRUE_WORDS = {"1", "true", "yes", "on", "y", "t"}


def secret_key_entropy_bits(key: str) -> float:
    if not key:
        return 0.0
    counts = Counter(key)
    per_character = -sum((n / len(key)) * math.log2(n / len(key)) for n in counts.values())
    return per_character * len(key)


def secret_key_problem(key: str) -> str | None:
    if key == DEVELOPMENT_SECRET_KEY or "insecure" in key.lower():
        return "SECRET_KEY is the development key (or marked insecure); generate a new random one."
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY is {len(key)} characters long; use at least {SECRET_KEY_MIN_LENGTH} random characters."
    if secret_key_entropy_bits(key) < SECRET_KEY_MIN_ENTROPY_BITS:
        return "SECRET_KEY repeats too few characters to be random; generate one (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    return None


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return True
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def production_problems(
    *,
    environment: Mapping[str, str],
    secret_key: str,
    debug: bool,
    broker_url: str,
    email_backend: str,
    base_url: str,
    webauthn_allow_insecure_origin: bool,
    oidc_issuers: tuple[str, ...] = (),
) -> list[str]:
    """Every unsafe value of a production portal, each naming its variable (empty when safe)."""
    problems: list[str] = []
    if key_problem := secret_key_problem(secret_key):
        problems.append(key_problem)
    # DJANGO_DEBUG=false is what makes this production; a DEBUG variable beside it is someone
    # expecting it to switch debugging on, and a settings file may set DEBUG itself.
    if debug or environment.get("DEBUG", "").strip().lower() in TRUE_WORDS:
        problems.append("DEBUG is on in production; unset DEBUG (DJANGO_DEBUG=false is the production switch).")
    if not broker_url or broker_url.startswith("memory://"):
        problems.append("CELERY_BROKER_URL is not set: notices would be sent inside web requests and lost on a crash; set redis://host:6379/0.")
    if email_backend.endswith((".console.EmailBackend", ".locmem.EmailBackend", ".dummy.EmailBackend", ".filebased.EmailBackend")):
        problems.append("EMAIL_URL sends no e-mail (console, file or memory); set smtp+tls://user:password@host:587.")
    if is_loopback_host(urlsplit(base_url).hostname):
        problems.append(f"PORTAL_BASE_URL is {base_url or 'unset'}: e-mails would link to this machine; set the public https:// address.")
    plain = [issuer for issuer in oidc_issuers if not issuer.startswith("https://")]
    if plain:
        problems.append(f"PORTAL_OIDC_PROVIDERS names an identity provider without https:// ({', '.join(plain)}); "
                        "plain http is for the tests on this machine only.")
    if webauthn_allow_insecure_origin:
        problems.append("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN is on: security keys would accept an http:// origin; unset it.")
    return problems
