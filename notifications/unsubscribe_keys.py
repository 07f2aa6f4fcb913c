"""Opaque, revocable unsubscribe links.

A link is `<key>.<category>.<mac>`: `key` is HMAC-SHA256(SECRET_KEY, the person's salt),
found again through its SHA-256 in UnsubscribeKey (the database never holds the key);
`mac` binds the category to the key, so a link for one kind of notice cannot be turned
into another. Nothing in it names the person. It works until it is used, or until the key
is NOTIFICATIONS_UNSUBSCRIBE_KEY_DAYS old; either gives the person a new salt.
"""

import hashlib
import hmac
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from .models import UnsubscribeKey

KEY_PURPOSE = b"notifications.unsubscribe.key:"
MAC_PURPOSE = b"notifications.unsubscribe.category:"
MAC_LENGTH = 16


def _hmac(purpose: bytes, value: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), purpose + value.encode(), hashlib.sha256).digest()
    return signing.b64_encode(digest).decode()


def key_of(salt: str) -> str:
    return _hmac(KEY_PURPOSE, salt)


def hash_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def max_age() -> timedelta:
    return timedelta(days=settings.NOTIFICATIONS_UNSUBSCRIBE_KEY_DAYS)


def _fresh(salt: str | None = None) -> dict:
    salt = salt or UnsubscribeKey._meta.get_field("salt").get_default()
    return {"salt": salt, "key_hash": hash_of(key_of(salt)), "created_at": timezone.now()}


def _usable(key: UnsubscribeKey | None) -> bool:
    # Renewed a little before it expires, so a link in an e-mail just sent keeps working a while.
    return key is not None and timezone.now() - key.created_at < max_age() * 0.9


def keys_for(person_ids: Iterable[int]) -> dict[int, UnsubscribeKey]:
    """Each person's current key, made or renewed where needed: one read and at most one
    write of each kind for a whole batch of recipients."""
    wanted = set(person_ids)
    found = {key.person_id: key for key in UnsubscribeKey.objects.filter(person_id__in=wanted)}
    missing = [UnsubscribeKey(person_id=person_id, **_fresh()) for person_id in wanted - set(found)]
    stale = [key for key in found.values() if not _usable(key)]
    for key in stale:
        for name, value in _fresh().items():
            setattr(key, name, value)
    if missing:
        UnsubscribeKey.objects.bulk_create(missing, ignore_conflicts=True)
        # Another worker may have made one first: read back what is stored.
        found.update({key.person_id: key for key in UnsubscribeKey.objects.filter(
            person_id__in=[key.person_id for key in missing])})
    if stale:
        UnsubscribeKey.objects.bulk_update(stale, ["salt", "key_hash", "created_at"])
    return found


def token_for(key: UnsubscribeKey, category: str) -> str:
    secret = key_of(key.salt)
    return f"{secret}.{category}.{_hmac(MAC_PURPOSE, secret + '.' + category)[:MAC_LENGTH]}"


def token(*, person_id: int, category: str) -> str:
    return token_for(keys_for([person_id])[person_id], category)


def read(token_text: str, *, for_update: bool = False) -> tuple[UnsubscribeKey, str]:
    """(the key, the category) of a link that still works; signing.BadSignature otherwise."""
    secret, _dot, rest = token_text.partition(".")
    category, _dot, mac = rest.partition(".")
    if not (secret and category and mac) or not hmac.compare_digest(
        mac, _hmac(MAC_PURPOSE, f"{secret}.{category}")[:MAC_LENGTH]
    ):
        raise signing.BadSignature("altered unsubscribe link")
    keys = UnsubscribeKey.objects.select_related("person")
    if for_update:
        keys = keys.select_for_update(of=("self",))
    key = keys.filter(key_hash=hash_of(secret)).first()
    if key is None or timezone.now() - key.created_at >= max_age():
        raise signing.BadSignature("used or expired unsubscribe link")
    return key, category


@transaction.atomic
def spend(key: UnsubscribeKey) -> None:
    """The link was used: every link made with this key stops working."""
    for name, value in _fresh().items():
        setattr(key, name, value)
    key.save(update_fields=["salt", "key_hash", "created_at"])
