"""Who a person is to the portal. Every decision about roles is made here."""

from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from .models import Organization, Profile, RoleGrant

Role = Profile.Role
STAFF_ROLES = frozenset({Role.SECRETARIAT, Role.ADMINISTRATOR})
# Accounts that see what industry must not: made by invitation (administrators on the
# server), and never usable without a second factor (participants/mfa.py).
PRIVILEGED_ROLES = frozenset({Role.OFFICIAL, Role.COCHAIR, Role.SECRETARIAT, Role.ADMINISTRATOR})
# What an invitation may make someone. Industry representatives sign up themselves;
# administrators are made by hand for the admin site.
INVITABLE_ROLES = (Role.OFFICIAL, Role.COCHAIR, Role.SECRETARIAT)
# What the secretariat may set on someone else's profile. Administrator is not among
# them: that is a superuser, made on the server, never through the portal.
ASSIGNABLE_ROLES = (Role.INDUSTRY, Role.OFFICIAL, Role.COCHAIR, Role.SECRETARIAT)
# Roles that change what someone may approve or administer: given by one member of the
# secretariat, they count only once a second member approves (four eyes).
FOUR_EYES_ROLES = frozenset({Role.COCHAIR, Role.SECRETARIAT, Role.ADMINISTRATOR})


# Roles with powers over others' work carry a review date (people leave their posts); past
# it, the role counts as the plain government participant's until the secretariat renews it.
REVIEWED_ROLES = frozenset({Role.COCHAIR, Role.SECRETARIAT})
LAPSED_ROLE = Role.OFFICIAL


def review_day() -> date:
    """The day review dates are compared with: the UTC date, the same for every viewer."""
    return timezone.now().date()


def has_lapsed(review_on: date | None) -> bool:
    return review_on is not None and review_on < review_day()


def role_of(user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMINISTRATOR
    profile = getattr(user, "profile", None)
    if profile is None:
        return None
    if profile.role in REVIEWED_ROLES and has_lapsed(profile.role_review_on):
        return LAPSED_ROLE
    return profile.role


# Verified affiliations -------------------------------------------------------------------


def verified_organization_id(user) -> int | None:
    """The organisation the portal has verified the person works for, or None.

    Verified means confirmed by the secretariat or by an address at a domain the secretariat
    verified for it (participants/affiliations.py), still the organisation the person names
    (naming another one ends it) and not past its review date. Everything that depends on
    "whose organisation" reads this, never Profile.organization."""
    if user is None or not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is None or profile.verified_organization_id is None:
        return None
    if profile.verified_organization_id != profile.organization_id or has_lapsed(profile.affiliation_review_on):
        return None
    return profile.verified_organization_id


def has_verified_affiliation(user) -> bool:
    return verified_organization_id(user) is not None


def is_secretariat(user) -> bool:
    return role_of(user) in STAFF_ROLES


def is_cochair(user) -> bool:
    """A co-chair's powers rest on the role and on an affiliation the portal has verified."""
    return role_of(user) == Role.COCHAIR and has_verified_affiliation(user)


def can_open_admin(user) -> bool:
    """Django's admin is the administrators' (superusers made on the server): the
    secretariat does its work on the portal's own pages and is never sent there."""
    return bool(user is not None and user.is_authenticated and user.is_superuser)


def account_kind(user) -> str:
    """What the page frame differs by (base.html's header): "anonymous", "member" (any
    signed-in person without the secretariat's pages), "secretariat" or "administrator"."""
    if user is None or not user.is_authenticated:
        return "anonymous"
    if can_open_admin(user):
        return "administrator"
    return "secretariat" if is_secretariat(user) else "member"


def sees_every_meeting(user) -> bool:
    """The secretariat and the co-chairs see every meeting, drafts aside."""
    return is_secretariat(user) or is_cochair(user)


def is_participant(user) -> bool:
    """Sees more than the public meetings: the secretariat, and anyone with a role whose
    affiliation the portal has verified. Until then an account sees public meetings only."""
    role = role_of(user)
    if role is None:
        return False
    return role in STAFF_ROLES or has_verified_affiliation(user)


def can_manage_affiliations(user) -> bool:
    """Approve or decline pending affiliations, renew them, and keep the verified domains."""
    return is_secretariat(user)


# Multi-factor sign-in ------------------------------------------------------------------


def mfa_required(user) -> bool:
    """Officials, co-chairs, the secretariat and administrators read (or can change) what
    must not leak: a stolen password alone must not be enough. Any account that reaches the
    Django admin counts, whatever its profile says. Industry representatives may turn MFA
    on if they wish."""
    if user is not None and user.is_authenticated and (user.is_staff or user.is_superuser):
        return True
    return role_of(user) in PRIVILEGED_ROLES


# Invitations and roles ---------------------------------------------------------------


def can_invite(user) -> bool:
    return is_secretariat(user)


def invitable_roles(user) -> tuple[str, ...]:
    return INVITABLE_ROLES if can_invite(user) else ()


def can_manage_people(user) -> bool:
    """The list of accounts with their roles, and changing a role."""
    return is_secretariat(user)


def organization_may_hold_cochair_role(organization: Organization | None) -> bool:
    """A co-chair is an office of a member government: a confirmed government organisation
    of a country that holds one of the forum's co-chair offices."""
    if organization is None or not organization.confirmed or organization.kind != Organization.Kind.GOVERNMENT:
        return False
    # Through the reverse relation of the forums' CoChair offices: participants imports no higher app.
    return organization.country.cochair_set.exists()


def may_hold_cochair_role(user) -> bool:
    """The one rule for who may be made a co-chair: the organisation the portal verified for
    them (never the one they name themselves) is a co-chair office's government."""
    if verified_organization_id(user) is None:
        return False
    # verified_organization_id holds only while it is the profile's organisation.
    return organization_may_hold_cochair_role(user.profile.organization)


def may_change_role(actor, profile: Profile) -> bool:
    """Whether `actor` may change `profile`'s role at all (the people page's link): not
    their own, not an administrator's. Costs no query."""
    if not can_manage_people(actor) or profile.user_id == actor.pk:
        return False
    return not (profile.user.is_superuser or profile.role == Role.ADMINISTRATOR)


def assignable_roles(actor, profile: Profile) -> tuple[str, ...]:
    """The roles `actor` may give `profile`: none for their own profile (nobody raises
    their own role, nor lowers it by mistake), none for an administrator's; the co-chair
    role only to an account of a co-chair office."""
    if not may_change_role(actor, profile):
        return ()
    if not may_hold_cochair_role(profile.user):
        return tuple(role for role in ASSIGNABLE_ROLES if role != Role.COCHAIR or profile.role == Role.COCHAIR)
    return ASSIGNABLE_ROLES


def needs_second_approval(role: str) -> bool:
    return role in FOUR_EYES_ROLES


def can_view_role_grants(user) -> bool:
    return is_secretariat(user)


def can_decide_role_grant(user, grant: RoleGrant) -> bool:
    """Another member of the secretariat than the one who gave it, and not its own subject."""
    return (
        is_secretariat(user)
        and grant.status == RoleGrant.Status.PENDING
        and grant.requested_by_id != user.pk
        and grant.profile.user_id != user.pk
    )


def can_change_role(actor, profile: Profile, role: str) -> bool:
    return role in assignable_roles(actor, profile)


# The audit record ----------------------------------------------------------------------


def can_view_audit(user) -> bool:
    return is_secretariat(user)


ANONYMOUS = AnonymousUser()
