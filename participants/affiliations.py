"""Verified affiliations: the services that decide whose organisation counts, and when it stops.

A person's organisation counts for access only once confirmed, by the secretariat or by an
address (confirmed by allauth) at a domain the secretariat verified for that organisation.
Naming another organisation ends the current affiliation and asks for the new one: nothing
a person types raises their access. Every change is in the audit. Affiliations and the
co-chair and secretariat roles carry a review date; the secretariat is told 30 days before
(`record_review_notices`, daily from beat) and a lapsed one stops counting (`end_lapsed`).

One function per action, keyword-only, one transaction each.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event

from .models import Affiliation, Organization, Profile, VerifiedDomain, normalise_domain
from .permissions import LAPSED_ROLE, REVIEWED_ROLES, can_manage_affiliations, review_day

# How long a verified affiliation or a reviewed role holds before the secretariat looks again.
REVIEW_PERIOD = timedelta(days=365)
# The secretariat hears of a review this long before its date.
REVIEW_NOTICE = timedelta(days=30)
DECLINE_REASON_LENGTH = 500


def default_review_on() -> date:
    return review_day() + REVIEW_PERIOD


def _organization_detail(organization: Organization | None) -> dict:
    if organization is None:
        return {}
    return {"organization": organization.name, "organization_id": organization.pk,
            "country": organization.country_id}


def _end_current(*, person, now, reason: str, by) -> None:
    current = Affiliation.objects.select_for_update().filter(person=person,
                                                             status__in=Affiliation.CURRENT_STATUSES).first()
    if current is None:
        return
    current.status = Affiliation.Status.ENDED
    current.ended_at = now
    current.save(update_fields=["status", "ended_at"])
    record_event(actor=by, action=AuditEvent.Action.AFFILIATION_ENDED, target=person,
                 detail={**_organization_detail(current.organization), "reason": reason})


def _verify(*, affiliation: Affiliation, profile: Profile, method: str, by, review_on: date | None,
            detail: dict | None = None) -> Affiliation:
    now = timezone.now()
    affiliation.status = Affiliation.Status.VERIFIED
    affiliation.method = method
    affiliation.decided_by = by if by is not None and by.is_authenticated else None
    affiliation.decided_at = now
    affiliation.save(update_fields=["status", "method", "decided_by", "decided_at"])
    profile.verified_organization = affiliation.organization
    profile.affiliation_review_on = review_on or default_review_on()
    profile.save(update_fields=["verified_organization", "affiliation_review_on"])
    record_event(actor=by, action=AuditEvent.Action.AFFILIATION_VERIFIED, target=affiliation.person,
                 detail={**_organization_detail(affiliation.organization), "method": method,
                         "review_on": profile.affiliation_review_on.isoformat(), **(detail or {})})
    return affiliation


def request_affiliation(*, profile: Profile, organization: Organization) -> Affiliation:
    """The person names `organization` as theirs (the profile form).

    Side effects: when it differs from the current affiliation, that one ends (the person
    has no verified organisation from now on) and a pending one is made, both audited; the
    new one is verified at once when the person has a confirmed address at a domain the
    secretariat verified for that organisation. Naming the same organisation again changes
    nothing. Call it inside the profile's transaction.
    """
    person = profile.user
    with transaction.atomic():
        current = Affiliation.objects.filter(person=person, status__in=Affiliation.CURRENT_STATUSES).first()
        if current is not None and current.organization_id == organization.pk:
            return current
        now = timezone.now()
        _end_current(person=person, now=now, reason="another organisation named", by=person)
        if profile.verified_organization_id is not None:
            profile.verified_organization = None
            profile.affiliation_review_on = None
            profile.save(update_fields=["verified_organization", "affiliation_review_on"])
        affiliation = Affiliation.objects.create(person=person, organization=organization)
        record_event(actor=person, action=AuditEvent.Action.AFFILIATION_REQUESTED, target=person,
                     detail={**_organization_detail(organization),
                             "previous": current.organization.name if current is not None else ""})
        verify_by_email_domain(person=person)
    return Affiliation.objects.get(pk=affiliation.pk)


def record_invited_affiliation(*, profile: Profile, by) -> Affiliation:
    """The organisation an invitation named, chosen by the secretariat: verified from the start.

    Side effects: a verified Affiliation (method invitation), the profile's verified
    organisation and review date (and the role's, for a co-chair or the secretariat), one
    audit event."""
    with transaction.atomic():
        if profile.role in REVIEWED_ROLES:
            profile.role_review_on = default_review_on()
            profile.save(update_fields=["role_review_on"])
        affiliation = Affiliation.objects.create(person=profile.user, organization=profile.organization)
        return _verify(affiliation=affiliation, profile=profile, method=Affiliation.Method.INVITATION, by=by,
                       review_on=None)


def _domain_of(address: str) -> str:
    return normalise_domain(address.rpartition("@")[2]) if "@" in address else ""


def verify_by_email_domain(*, person) -> Affiliation | None:
    """Verifies the person's pending affiliation when one of their addresses confirmed by allauth
    is at a domain the secretariat verified for that (confirmed) organisation. Unconfirmed
    addresses never count. Returns the affiliation verified, or None."""
    with transaction.atomic():
        pending = (Affiliation.objects.select_for_update(of=("self",)).select_related("organization")
                   .filter(person=person, status=Affiliation.Status.PENDING).first())
        if pending is None or not pending.organization.confirmed:
            return None
        domains = set(VerifiedDomain.objects.filter(organization=pending.organization).values_list("domain", flat=True))
        addresses = EmailAddress.objects.filter(user=person, verified=True).values_list("email", flat=True)
        matching = sorted(address for address in addresses if _domain_of(address) in domains)
        if not matching:
            return None
        profile = Profile.objects.select_for_update().get(user=person)
        return _verify(affiliation=pending, profile=profile, method=Affiliation.Method.EMAIL_DOMAIN, by=None,
                       review_on=None, detail={"domain": _domain_of(matching[0])})


def _pending_for_decision(affiliation: Affiliation, by) -> tuple[Affiliation, Profile]:
    if not can_manage_affiliations(by):
        raise PermissionDenied(_("Only the secretariat decides on affiliations."))
    locked = Affiliation.objects.select_for_update(of=("self",)).select_related("organization", "person").get(
        pk=affiliation.pk)
    if locked.status != Affiliation.Status.PENDING:
        raise ValidationError(_("This request was already decided; nothing was changed."))
    if locked.person_id == by.pk:
        raise PermissionDenied(_("Nobody decides on their own affiliation."))
    return locked, Profile.objects.select_for_update().get(user_id=locked.person_id)


def approve_affiliation(*, affiliation: Affiliation, by, review_on: date | None = None) -> Affiliation:
    """The secretariat confirms that the person works for the organisation they named.

    Side effects: the affiliation verified until `review_on` (a year by default), mirrored on
    the profile; an organisation still awaiting confirmation is confirmed with it; audit
    events for both. Raises PermissionDenied for anyone but the secretariat (and for one's
    own request), ValidationError when it is no longer pending or the date is past."""
    if review_on is not None and review_on <= review_day():
        raise ValidationError(_("Choose a review date in the future."))
    with transaction.atomic():
        locked, profile = _pending_for_decision(affiliation, by)
        organization = locked.organization
        if not organization.confirmed:
            organization.confirmed = True
            organization.save(update_fields=["confirmed"])
            record_event(actor=by, action=AuditEvent.Action.ORGANIZATION_CONFIRMED, target=organization,
                         detail=_organization_detail(organization))
        return _verify(affiliation=locked, profile=profile, method=Affiliation.Method.SECRETARIAT, by=by,
                       review_on=review_on)


def decline_affiliation(*, affiliation: Affiliation, by, reason: str) -> Affiliation:
    """The secretariat does not confirm it: the person keeps seeing public meetings only.

    Side effects: the affiliation declined with the reason, one audit event. Raises as
    approve_affiliation does, and ValidationError without a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why, for the person and for the record."))
    if len(reason) > DECLINE_REASON_LENGTH:
        raise ValidationError(_("Keep the reason to %(limit)d characters.") % {"limit": DECLINE_REASON_LENGTH})
    with transaction.atomic():
        locked, _profile = _pending_for_decision(affiliation, by)
        locked.status = Affiliation.Status.DECLINED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decline_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        record_event(actor=by, action=AuditEvent.Action.AFFILIATION_DECLINED, target=locked.person,
                     detail={**_organization_detail(locked.organization), "reason": reason})
    return locked


def renew_review(*, profile: Profile, by, review_on: date | None = None) -> Profile:
    """The secretariat checked again: the affiliation (and a co-chair or secretariat role) holds
    until `review_on` (a year from today by default).

    Side effects: the profile's review dates, audit events. Raises PermissionDenied for
    anyone but the secretariat or for one's own profile; ValidationError when the person has
    no verified affiliation or the date is past."""
    if not can_manage_affiliations(by) or profile.user_id == by.pk:
        raise PermissionDenied(_("Only another member of the secretariat renews this."))
    review_on = review_on or default_review_on()
    if review_on <= review_day():
        raise ValidationError(_("Choose a review date in the future."))
    with transaction.atomic():
        locked = Profile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        if locked.verified_organization_id is None:
            raise ValidationError(_("This person has no verified affiliation to renew."))
        locked.affiliation_review_on = review_on
        fields = ["affiliation_review_on"]
        record_event(actor=by, action=AuditEvent.Action.AFFILIATION_RENEWED, target=locked.user,
                     detail={"review_on": review_on.isoformat()})
        if locked.role in REVIEWED_ROLES:
            locked.role_review_on = review_on
            fields.append("role_review_on")
            record_event(actor=by, action=AuditEvent.Action.ROLE_RENEWED, target=locked.user,
                         detail={"role": locked.role, "review_on": review_on.isoformat()})
        locked.save(update_fields=fields)
    return locked


# Verified domains ------------------------------------------------------------------------


def add_verified_domain(*, organization: Organization, domain: str, by) -> VerifiedDomain:
    """Addresses at `domain` now confirm an affiliation with `organization` by themselves.

    Side effects: the domain row, one audit event; pending requests for the organisation
    from people with a confirmed address there are verified. Raises PermissionDenied, or
    ValidationError for a malformed or already verified domain or an unconfirmed organisation."""
    if not can_manage_affiliations(by):
        raise PermissionDenied(_("Only the secretariat verifies e-mail domains."))
    if not organization.confirmed:
        raise ValidationError(_("Confirm the organisation before verifying a domain for it."))
    with transaction.atomic():
        verified = VerifiedDomain(organization=organization, domain=normalise_domain(domain), added_by=by)
        verified.full_clean()
        verified.save()
        record_event(actor=by, action=AuditEvent.Action.DOMAIN_VERIFIED, target=organization,
                     detail={"domain": verified.domain})
        waiting = Affiliation.objects.filter(organization=organization, status=Affiliation.Status.PENDING,
                                             person__emailaddress__verified=True,
                                             person__emailaddress__email__iendswith="@" + verified.domain)
        for person_id in set(waiting.values_list("person_id", flat=True)):
            verify_by_email_domain(person=Profile.objects.get(user_id=person_id).user)
    return verified


def remove_verified_domain(*, domain: VerifiedDomain, by) -> None:
    """Addresses there no longer confirm anyone; affiliations already verified stay as they are
    (the secretariat ends them one by one if it must). Side effects: the row, one audit event."""
    if not can_manage_affiliations(by):
        raise PermissionDenied(_("Only the secretariat verifies e-mail domains."))
    with transaction.atomic():
        record_event(actor=by, action=AuditEvent.Action.DOMAIN_REMOVED, target=domain.organization,
                     detail={"domain": domain.domain})
        domain.delete()


# Review dates (beat, daily) ---------------------------------------------------------------


@dataclass(frozen=True)
class LapseReport:
    affiliations: int
    roles: int


def end_lapsed(*, today: date | None = None) -> LapseReport:
    """Affiliations past their review date end (the person sees public meetings only), and a
    co-chair or secretariat role past its date falls back to the official's.

    Side effects: per person one transaction: the affiliation ended, the profile's verified
    organisation cleared or its role lowered, audit events without an actor (the portal)."""
    today = today or review_day()
    ended = lowered = 0
    for profile_id in Profile.objects.filter(affiliation_review_on__lt=today,
                                             verified_organization__isnull=False).values_list("pk", flat=True):
        with transaction.atomic():
            profile = Profile.objects.select_for_update().select_related("user").get(pk=profile_id)
            if profile.affiliation_review_on is None or profile.affiliation_review_on >= today:
                continue
            _end_current(person=profile.user, now=timezone.now(), reason="review date passed",
                         by=None)
            profile.verified_organization = None
            profile.save(update_fields=["verified_organization"])
            ended += 1
    for profile_id in Profile.objects.filter(role__in=REVIEWED_ROLES, role_review_on__lt=today).values_list(
            "pk", flat=True):
        with transaction.atomic():
            profile = Profile.objects.select_for_update().select_related("user").get(pk=profile_id)
            if profile.role not in REVIEWED_ROLES or profile.role_review_on is None or profile.role_review_on >= today:
                continue
            previous = profile.role
            profile.role = LAPSED_ROLE
            profile.role_review_on = None
            profile.save(update_fields=["role", "role_review_on"])
            record_event(actor=None, action=AuditEvent.Action.ROLE_LAPSED, target=profile.user,
                         detail={"from": previous, "to": LAPSED_ROLE})
            lowered += 1
    return LapseReport(affiliations=ended, roles=lowered)


def record_review_notices(*, today: date | None = None) -> list:
    """Tells the secretariat of every affiliation and role whose review date is 30 days away or
    nearer (once per person, kind and date: the dispatch key), through the outbox.

    Side effects: one Dispatch (REVIEW_DUE, to the secretariat) per review not yet told."""
    from notifications.models import Dispatch
    from notifications.services import record_dispatch

    today = today or review_day()
    horizon = today + REVIEW_NOTICE
    recorded = []
    due = [("affiliation", profile, profile.affiliation_review_on) for profile in Profile.objects.filter(
        verified_organization__isnull=False, affiliation_review_on__gte=today, affiliation_review_on__lte=horizon)]
    due += [("role", profile, profile.role_review_on) for profile in Profile.objects.filter(
        role__in=REVIEWED_ROLES, role_review_on__gte=today, role_review_on__lte=horizon)]
    for kind, profile, review_on in due:
        key = f"review:{kind}:{profile.pk}:{review_on.isoformat()}"
        if Dispatch.objects.filter(key=key).exists():
            continue
        try:
            with transaction.atomic():
                recorded.append(record_dispatch(
                    event=Dispatch.Event.REVIEW_DUE, target=profile, audience=Dispatch.Audience.SECRETARIAT,
                    context={"kind": kind, "review_on": review_on.isoformat(), "role": profile.role},
                    key=key,
                ))
        except IntegrityError:
            continue  # another run recorded it a moment ago
    return recorded
