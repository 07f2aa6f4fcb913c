"""TOTP secrets and recovery-code seeds at rest: encrypted with Fernet (AES-128-CBC and
HMAC-SHA256, from `cryptography`), so that a copy of the database or a backup alone
yields no working second factor.

The key is MFA_ENCRYPTION_KEY, or one derived from SECRET_KEY when it is not set; keys in
MFA_ENCRYPTION_KEY_FALLBACKS (and, for the derived key, SECRET_KEY_FALLBACKS) still
decrypt, so a key can be rotated without locking anyone out.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# Fernet tokens start with the version byte 0x80, which base64 writes as "gAAAAA".
FERNET_PREFIX = "gAAAAA"
_DERIVATION_LABEL = b"dicas-portal.mfa-secrets.v1:"


def _fernet_key(material: str) -> bytes:
    """Any string (a passphrase, or SECRET_KEY) as a Fernet key: its SHA-256, in base64."""
    return base64.urlsafe_b64encode(hashlib.sha256(_DERIVATION_LABEL + material.encode()).digest())


@lru_cache(maxsize=4)
def _fernet(primary: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(material)) for material in (primary, *fallbacks)])


def fernet() -> MultiFernet:
    configured = getattr(settings, "MFA_ENCRYPTION_KEY", "") or ""
    if configured:
        fallbacks = tuple(getattr(settings, "MFA_ENCRYPTION_KEY_FALLBACKS", ()) or ())
        return _fernet(configured, fallbacks)
    return _fernet(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ()))


def encrypt_secret(text: str) -> str:
    return fernet().encrypt(text.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    """Raises cryptography.fernet.InvalidToken for a value not made with one of the keys."""
    return fernet().decrypt(token.encode("ascii")).decode()


def is_encrypted(value: str) -> bool:
    if not isinstance(value, str) or not value.startswith(FERNET_PREFIX):
        return False
    try:
        decrypt_secret(value)
    except (InvalidToken, ValueError, UnicodeError):
        return False
    return True


# What allauth.mfa passes through its adapter's encrypt(), per kind of authenticator.
ENCRYPTED_FIELDS = {"totp": ("secret",), "recovery_codes": ("seed",)}


def encrypt_stored_secrets(authenticator_model) -> int:
    """Encrypts the secrets stored in clear before encryption was on; those already
    encrypted are left alone, so running it twice changes nothing. Takes the model (the
    data migration passes its historical one). Returns how many rows changed."""
    changed = 0
    for authenticator in authenticator_model.objects.filter(type__in=ENCRYPTED_FIELDS).iterator():
        data = dict(authenticator.data or {})
        dirty = False
        for field in ENCRYPTED_FIELDS[authenticator.type]:
            value = data.get(field)
            if isinstance(value, str) and value and not is_encrypted(value):
                data[field] = encrypt_secret(value)
                dirty = True
        codes = data.get("migrated_codes")
        if isinstance(codes, list) and any(isinstance(code, str) and not is_encrypted(code) for code in codes):
            data["migrated_codes"] = [code if is_encrypted(code) else encrypt_secret(code) for code in codes]
            dirty = True
        if dirty:
            authenticator.data = data
            authenticator.save(update_fields=["data"])
            changed += 1
    return changed
