"""The identity providers of agency sign-in, read from `PORTAL_OIDC_PROVIDERS`.

Plain Python, no Django models: the settings module calls it while it is being read. The
variable holds a JSON list, one object per identity provider:

    [{"id": "agency", "name": "Agency sign-in", "issuer": "https://login.agency.example",
      "client_id": "dicas-portal", "secret": "…",
      "mfa_acr_values": ["http://idmanagement.gov/ns/assurance/aal/2"]}]

`server_url` may stand for `issuer`. Optional: `mfa_amr_values` (the `amr` values that
count as a second factor, RFC 8176; default below), `mfa_acr_values` (the `acr` values that
do), `auth_params` (sent with the authorization request, e.g. `{"acr_values": "…"}`),
`fetch_userinfo` (default true).
"""

import json
import re

VARIABLE = "PORTAL_OIDC_PROVIDERS"
# amr values (RFC 8176) that say more than a password was used. "mfa" and "mca" say so
# outright; the others name a second factor a password is not. SMS and telephone are left
# out: they are phishable and NIST SP 800-63B restricts them.
DEFAULT_MFA_AMR_VALUES = ("mfa", "mca", "hwk", "swk", "sc", "pop", "otp")
PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class ProviderConfigurationError(ValueError):
    pass


def _strings(entry: dict, key: str, default: tuple[str, ...] = ()) -> list[str]:
    value = entry.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ProviderConfigurationError(f"{VARIABLE}: {key!r} of {entry.get('id')!r} must be a list of strings.")
    return value


def socialaccount_apps(raw: str) -> list[dict]:
    """allauth's APPS for its openid_connect provider, one per identity provider in `raw`."""
    if not raw.strip():
        return []
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ProviderConfigurationError(f"{VARIABLE} is not valid JSON: {error}") from None
    if not isinstance(entries, list):
        raise ProviderConfigurationError(f"{VARIABLE} must be a JSON list of identity providers.")
    apps: list[dict] = []
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise ProviderConfigurationError(f"{VARIABLE}: each identity provider is a JSON object.")
        issuer = entry.get("issuer") or entry.get("server_url")
        missing = [key for key, value in (("id", entry.get("id")), ("name", entry.get("name")), ("issuer", issuer),
                                          ("client_id", entry.get("client_id")), ("secret", entry.get("secret")))
                   if not isinstance(value, str) or not value]
        if missing:
            raise ProviderConfigurationError(f"{VARIABLE}: {entry.get('id')!r} lacks {', '.join(missing)}.")
        if not PROVIDER_ID.match(entry["id"]):
            raise ProviderConfigurationError(
                f"{VARIABLE}: id {entry['id']!r} must be lower-case letters, digits and hyphens (it is part of a URL).")
        if entry["id"] in seen:
            raise ProviderConfigurationError(f"{VARIABLE}: id {entry['id']!r} is given twice.")
        seen.add(entry["id"])
        if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")):
            raise ProviderConfigurationError(f"{VARIABLE}: the issuer of {entry['id']!r} must be an https:// address.")
        auth_params = entry.get("auth_params", {})
        if not isinstance(auth_params, dict) or "nonce" in auth_params:
            raise ProviderConfigurationError(f"{VARIABLE}: auth_params of {entry['id']!r} must be an object without a nonce.")
        apps.append({
            "provider_id": entry["id"],
            "name": entry["name"],
            "client_id": entry["client_id"],
            "secret": entry["secret"],
            "settings": {
                "server_url": issuer.rstrip("/"),
                "issuer": issuer.rstrip("/"),
                "oauth_pkce_enabled": True,
                "fetch_userinfo": bool(entry.get("fetch_userinfo", True)),
                "auth_params": auth_params,
                "mfa_amr_values": _strings(entry, "mfa_amr_values", DEFAULT_MFA_AMR_VALUES),
                "mfa_acr_values": _strings(entry, "mfa_acr_values"),
                # Linking by address is decided in participants/sso.py, never by allauth's
                # default (which trusts a provider's unverified claim when told to).
                "verified_email": False,
            },
        })
    return apps
