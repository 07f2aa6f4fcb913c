"""A real OpenID provider (node's oidc-provider, tests/oidc/provider.mjs) on a loopback
port for the agency sign-in tests, started once for the module that asks for it.

It needs Node and `npm ci` in tests/oidc (the Makefile's `test` target does it): without
them the tests skip with the reason, except in CI (CI=true), where they fail.
"""

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import IN_CI

HERE = Path(__file__).resolve().parent
CALLBACK = "http://testserver/accounts/oidc/{provider_id}/login/callback/"
SECRET = "test-client-secret-0123456789"
MFA_ACR = "urn:dicas:test:aal2"

# Who exists at the identity provider. Claims beyond these never reach the portal's roles.
ACCOUNTS = {
    "newcomer": {"email": "newcomer@agency.example", "email_verified": True, "name": "New Comer",
                 "amr": ["pwd"], "roles": ["secretariat", "administrator"]},
    "unverified-newcomer": {"email": "unconfirmed@agency.example", "email_verified": False,
                            "name": "Un Confirmed", "amr": ["pwd"]},
    "official-password": {"email": "official@mod.example", "email_verified": True, "name": "Official",
                          "amr": ["pwd"]},
    "official-key": {"email": "official@mod.example", "email_verified": True, "name": "Official",
                     "amr": ["pwd", "hwk"]},
    "official-aal2": {"email": "official@mod.example", "email_verified": True, "name": "Official",
                      "acr": MFA_ACR},
    "official-unverified-claim": {"email": "official@mod.example", "email_verified": False, "name": "Official",
                                  "amr": ["pwd", "hwk"]},
    "squatted": {"email": "victim@agency.example", "email_verified": True, "name": "Victim",
                 "amr": ["pwd", "hwk"]},
    "control-name": {"email": "crlf@agency.example", "email_verified": True,
                     "name": "Mallory\r\nBcc: everyone@example.org", "given_name": "Mallory\r\nBcc: x@example.org",
                     "amr": ["pwd"]},
}

# One client per behaviour: the honest one, and identity providers gone wrong.
CLIENTS = {
    "agency": None,
    "wrong-nonce": "nonce",
    "wrong-audience": "audience",
    "wrong-issuer": "issuer",
    "forged-signature": "signature",
}


@dataclass
class IdentityProvider:
    issuer: str
    process: subprocess.Popen

    def apps(self) -> list[dict]:
        """allauth's APPS, as participants.sso_config builds them from PORTAL_OIDC_PROVIDERS."""
        from participants.sso_config import socialaccount_apps

        return socialaccount_apps(json.dumps([
            {"id": client_id, "name": f"Agency ({client_id})", "issuer": self.issuer,
             "client_id": client_id, "secret": SECRET, "mfa_acr_values": [MFA_ACR]}
            for client_id in CLIENTS
        ]))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "needs Node.js for the OpenID provider (apt-get install nodejs npm)"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return "needs `npm ci` in tests/oidc (make test does it)"
    return None


@pytest.fixture(scope="module")
def identity_provider():
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    port = _free_port()
    clients = [
        {"client_id": client_id, "client_secret": SECRET, "redirect_uri": CALLBACK.format(provider_id=client_id),
         **({"tamper": tamper} if tamper else {})}
        for client_id, tamper in CLIENTS.items()
    ]
    environment = {**os.environ, "OIDC_PORT": str(port), "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
                   "OIDC_CLIENTS": json.dumps(clients)}
    process = subprocess.Popen(["node", "provider.mjs"], cwd=HERE, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the OpenID provider did not start (node tests/oidc/provider.mjs)") from None
                time.sleep(0.2)
        yield IdentityProvider(issuer=issuer, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
