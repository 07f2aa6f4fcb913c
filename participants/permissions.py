"""Who a person is to the portal. Every decision about roles is made here."""

from django.contrib.auth.models import AnonymousUser

from .models import Organization, Profile, RoleGrant

Role = Profile.Role
STAFF_ROLES = frozenset({Role.SECRETARIAT, Role.ADMINISTRATOR})
# Accounts that see what industry must not: made by invitation only, and never usable
# without a second factor (participants/mfa.py).
PRIVILEGED_ROLES = frozenset({Role.OFFICIAL, Role.COCHAIR, Role.SECRETARIAT})
# What an invitation may make someone. Industry representatives sign up themselves;
# administrators are made by hand for the admin site.
INVITABLE_ROLES = (Role.OFFICIAL, Role.COCHAIR, Role.SECRETARIAT)
# What the secretariat may set on someone else's profile. Administrator is not among
# them: that is a superuser, made on the server, never through the portal.
ASSIGNABLE_ROLES = (Role.INDUSTRY, Role.OFFICIAL, Role.COCHAIR, Role.SECRETARIAT)
# Roles that change what someone may approve or administer: given by one member of the
# secretariat, they count only once a second member approves (four eyes).
FOUR_EYES_ROLES = frozenset({Role.COCHAIR, Role.SECRETARIAT, Role.ADMINISTRATOR})


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


# Multi-factor sign-in ------------------------------------------------------------------


def mfa_required(user) -> bool:
    """Officials, co-chairs and the secretariat read what must not leak: a stolen password
    alone must not be enough. Industry representatives may turn MFA on if they wish."""
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
    """The one rule for who may be made a co-chair. It reads the organisation on the
    profile; once affiliations are verified it reads the verified one instead."""
    profile = getattr(user, "profile", None)
    return profile is not None and organization_may_hold_cochair_role(profile.organization)


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
