"""Who a person is to the portal. Every decision about roles is made here."""

from django.contrib.auth.models import AnonymousUser

from .models import Profile

Role = Profile.Role
STAFF_ROLES = frozenset({Role.SECRETARIAT, Role.ADMINISTRATOR})


def role_of(user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMINISTRATOR
    profile = getattr(user, "profile", None)
    return profile.role if profile else None


def is_secretariat(user) -> bool:
    return role_of(user) in STAFF_ROLES


def is_cochair(user) -> bool:
    return role_of(user) == Role.COCHAIR


def sees_every_meeting(user) -> bool:
    """The secretariat and the co-chairs see every meeting, drafts aside."""
    return role_of(user) in STAFF_ROLES | {Role.COCHAIR}


def is_participant(user) -> bool:
    return role_of(user) is not None


ANONYMOUS = AnonymousUser()
