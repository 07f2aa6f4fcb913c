"""Registrations for meetings: register, cancel, vet, change the capacity, check in.

Every function that counts seats first locks the meeting's row (`select_for_update`) and
only then reads its registrations. On PostgreSQL a second request for the same meeting
waits at that lock until the first commits, and then counts again, so seats and the
per-organisation limit hold however many people press "Register" at once. (SQLite
serialises writers anyway; its `select_for_update` is a no-op.)

A rule that says no raises `RegistrationRefused` with a message for the person, before
anything is written: the transaction rolls back and nothing changes.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record_event
from notifications.models import Dispatch
from notifications.services import record_dispatch
from participants.models import Organization
from participants.onboarding import profile_is_complete
from participants.permissions import Role, role_of, verified_organization_id
from participants.timezones import zone_place_name

from ..models import Meeting, Registration
from ..permissions import (
    can_cancel_registration,
    can_manage_registrations,
    can_view_meeting,
    role_may_attend,
)

Status = Registration.Status
# Registrations that still count: they hold, wait for or ask for a seat.
ACTIVE_STATUSES = (Status.PENDING, Status.CONFIRMED, Status.WAITLISTED)
NOTE_MAX_LENGTH = Registration._meta.get_field("note").max_length
REASON_MAX_LENGTH = Registration._meta.get_field("decline_reason").max_length

# Why someone waits: told to them at once and in the notice.
MEETING_FULL = "meeting_full"
ORGANIZATION_FULL = "organization_full"


class RegistrationRefused(Exception):
    """A rule said no; `message` tells the person why (and when, for a window). Nothing changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RegistrationOutcome:
    registration: Registration
    waitlist_position: int | None = None
    wait_reason: str | None = None

    @property
    def message(self) -> str:
        status = self.registration.status
        if status == Status.CONFIRMED:
            return _("You are registered: your seat is confirmed.")
        if status == Status.PENDING:
            return _(
                "Your registration awaits the secretariat's vetting. You will receive an e-mail once it is decided."
            )
        if self.wait_reason == ORGANIZATION_FULL:
            return _(
                "Your organisation already has %(limit)d confirmed seats, the most one organisation may have. "
                "You are number %(position)d on the waiting list, and will be confirmed if a seat of your "
                "organisation is freed."
            ) % {"limit": self.registration.meeting.seats_per_organization, "position": self.waitlist_position}
        return _(
            "The meeting is full. You are number %(position)d on the waiting list, and will be confirmed "
            "by e-mail if a seat is freed."
        ) % {"position": self.waitlist_position}


def format_moment(moment: datetime) -> str:
    """A moment in the viewer's zone (activated per request by ViewerPreferencesMiddleware)."""
    local = timezone.localtime(moment)
    zone = timezone.get_current_timezone()
    return _("%(when)s %(abbreviation)s (%(place)s time)") % {
        "when": formats.date_format(local, "DATETIME_FORMAT"),
        "abbreviation": local.tzname(),
        "place": zone_place_name(getattr(zone, "key", str(zone))),
    }


def registration_closes_at(meeting: Meeting) -> datetime:
    """Without a closing date, registration closes when the meeting starts."""
    return meeting.registration_closes_at or meeting.starts_at


def refusal_reason(*, meeting: Meeting, person, now: datetime) -> str | None:
    """Why `person` may not register for `meeting` now, or None. The meeting page asks it
    to explain before anyone clicks; `register` asks it again under the lock."""
    if person is None or not person.is_authenticated:
        return _("Sign in to register.")
    if not can_view_meeting(person, meeting):
        return _("This meeting is not open to you.")
    if meeting.status == Meeting.Status.CANCELLED:
        return _("This meeting has been cancelled: it takes no registrations.")
    if meeting.registration_opens_at is None:
        return _("This meeting takes no registrations through the portal.")
    if meeting.status != Meeting.Status.SCHEDULED:
        # The label straight from the choices: get_status_display() hashes every translated
        # label on each call, and every meeting page of a past meeting asks this.
        return _("This meeting is %(status)s: it takes no registrations for now.") % {
            "status": str(Meeting.Status(meeting.status).label).lower()
        }
    if not role_may_attend(person, meeting):
        if role_of(person) == Role.INDUSTRY:
            return _(
                "This meeting is for government officials. Industry representatives may register for "
                "industry roundtables and industry days."
            )
        return _("Registrations are for industry representatives and officials; your account has another role.")
    if not profile_is_complete(getattr(person, "profile", None)):
        return _("Complete your profile (your name and organisation) before registering.")
    if now < meeting.registration_opens_at:
        return _("Registration for this meeting opens on %(when)s.") % {
            "when": format_moment(meeting.registration_opens_at)
        }
    closes_at = registration_closes_at(meeting)
    if now >= closes_at:
        return _("Registration for this meeting closed on %(when)s.") % {"when": format_moment(closes_at)}
    return None


def _locked_meeting(meeting: Meeting) -> Meeting:
    # The lock every seat-counting function takes first (see the module's docstring).
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


class _Seats:
    """The confirmed seats of one meeting, counted once under the lock and kept up to date."""

    def __init__(self, meeting: Meeting):
        self.meeting = meeting
        rows = (
            Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED)
            .values("organization_id")
            .annotate(seats=Count("pk"))
            .order_by()
        )
        self.by_organization = {row["organization_id"]: row["seats"] for row in rows}
        self.total = sum(self.by_organization.values())

    def meeting_full(self) -> bool:
        return self.meeting.capacity is not None and self.total >= self.meeting.capacity

    def why_no_seat(self, organization_id: int | None) -> str | None:
        if self.meeting_full():
            return MEETING_FULL
        limit = self.meeting.seats_per_organization
        if limit and organization_id is not None and self.by_organization.get(organization_id, 0) >= limit:
            return ORGANIZATION_FULL
        return None

    def take(self, organization_id: int | None) -> None:
        self.total += 1
        self.by_organization[organization_id] = self.by_organization.get(organization_id, 0) + 1


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list. The list is kept in the order of registering."""
    if registration.status != Status.WAITLISTED:
        return None
    ahead = Registration.objects.filter(meeting_id=registration.meeting_id, status=Status.WAITLISTED).filter(
        Q(created_at__lt=registration.created_at) | Q(created_at=registration.created_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def _tell(registration: Registration, event: str, **context) -> None:
    record_dispatch(
        event=event,
        target=registration,
        audience=Dispatch.Audience.PERSON,
        person=registration.person,
        context=context,
    )


def _promote_waiting(meeting: Meeting, seats: _Seats | None = None) -> list[Registration]:
    """Confirms people from the waiting list, first come first served, while seats last.

    Someone whose organisation already has its most seats is passed over (they keep their
    place) and the next one is promoted. Call only with the meeting's row locked.
    """
    if meeting.status == Meeting.Status.CANCELLED:
        return []
    seats = seats or _Seats(meeting)
    promoted: list[Registration] = []
    if seats.meeting_full():
        return promoted
    waiting = (
        Registration.objects.filter(meeting=meeting, status=Status.WAITLISTED)
        .select_related("person")
        .order_by("created_at", "pk")
    )
    for registration in waiting:
        reason = seats.why_no_seat(registration.organization_id)
        if reason == MEETING_FULL:
            break
        if reason == ORGANIZATION_FULL:
            continue
        registration.status = Status.CONFIRMED
        registration.save(update_fields=["status", "updated_at"])
        seats.take(registration.organization_id)
        _tell(registration, Dispatch.Event.REGISTRATION_PROMOTED)
        promoted.append(registration)
    return promoted


def register(*, meeting: Meeting, person, note: str = "", consent: bool) -> RegistrationOutcome:
    """Registers `person` for `meeting`: confirmed, waitlisted, or pending the secretariat's vetting.

    Side effects: creates the person's registration, or reuses the row of a cancelled one
    (they join the end of the queue); snapshots their organisation, which the
    per-organisation limit counts; records when they consented; records one notice to the
    person (REGISTRATION_CONFIRMED, _WAITLISTED, or _RECEIVED while pending).

    Pending when the meeting is vetted, or when the person has no verified affiliation yet
    (otherwise anyone could name a company to take its seats or get round the
    per-organisation limit); the seat counts against the verified organisation only. Raises RegistrationRefused, changing nothing, when a rule says no.
    """
    if not consent:
        raise RegistrationRefused(_("To register, agree to the handling of your data for this meeting."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise RegistrationRefused(
            _("Keep the note to %(limit)d characters; it has %(length)d.") % {"limit": NOTE_MAX_LENGTH, "length": len(note)}
        )
    with transaction.atomic():
        meeting = _locked_meeting(meeting)
        now = timezone.now()
        reason = refusal_reason(meeting=meeting, person=person, now=now)
        if reason:
            raise RegistrationRefused(reason)
        registration = Registration.objects.filter(meeting=meeting, person=person).first()
        if registration is not None and registration.status in ACTIVE_STATUSES:
            raise RegistrationRefused(
                _("You are already registered for this meeting (%(status)s).")
                % {"status": registration.get_status_display().lower()}
            )
        if registration is not None and registration.status == Status.DECLINED:
            raise RegistrationRefused(
                _("The secretariat declined your registration for this meeting: %(reason)s")
                % {"reason": registration.decline_reason}
            )
        if registration is None:
            registration = Registration(meeting=meeting, person=person)
        else:
            # Coming back after cancelling: the same row, at the end of the queue.
            registration.created_at = now
            registration.checked_in_at = None
            registration.decided_by = None
            registration.decided_at = None
            registration.decline_reason = ""
        # Only an organisation the portal verified counts the seat (a named one could be anyone's).
        organization_id = verified_organization_id(person)
        if organization_id is not None and not Organization.objects.filter(pk=organization_id, confirmed=True).exists():
            organization_id = None  # an organisation still awaiting confirmation counts for nobody
        registration.organization_id = organization_id
        registration.note = note
        registration.consent_given_at = now

        wait_reason = None
        if meeting.vetting_required or organization_id is None:
            registration.status = Status.PENDING
        else:
            wait_reason = _Seats(meeting).why_no_seat(organization_id)
            registration.status = Status.WAITLISTED if wait_reason else Status.CONFIRMED
        try:
            with transaction.atomic():
                registration.save()
        except IntegrityError:
            # Only without the row lock (SQLite) can a double click get this far twice.
            raise RegistrationRefused(_("You are already registered for this meeting.")) from None

        position = waitlist_position(registration)
        if registration.status == Status.CONFIRMED:
            _tell(registration, Dispatch.Event.REGISTRATION_CONFIRMED)
        elif registration.status == Status.WAITLISTED:
            _tell(registration, Dispatch.Event.REGISTRATION_WAITLISTED, position=position, reason=wait_reason)
        else:
            _tell(registration, Dispatch.Event.REGISTRATION_RECEIVED)
    return RegistrationOutcome(registration=registration, waitlist_position=position, wait_reason=wait_reason)


def cancel_registration(*, registration: Registration, by) -> list[Registration]:
    """Cancels a registration, up to the meeting's start; returns whoever was promoted.

    Side effects: the status becomes cancelled; a notice (REGISTRATION_CANCELLED) to the
    person; if a seat was freed, the first eligible people on the waiting list are
    confirmed and told (REGISTRATION_PROMOTED). Raises PermissionDenied when `by` is neither
    the person nor the secretariat, RegistrationRefused when it is too late or already over.
    """
    with transaction.atomic():
        meeting = _locked_meeting(registration.meeting)
        registration = Registration.objects.select_related("person").get(pk=registration.pk)
        registration.meeting = meeting
        if not can_cancel_registration(by, registration):
            raise PermissionDenied
        if registration.status not in ACTIVE_STATUSES:
            raise RegistrationRefused(
                _("This registration is already %(status)s.") % {"status": registration.get_status_display().lower()}
            )
        if timezone.now() >= meeting.starts_at:
            raise RegistrationRefused(_("The meeting has started: registrations can no longer be cancelled."))
        registration.status = Status.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
        _tell(registration, Dispatch.Event.REGISTRATION_CANCELLED)
        return _promote_waiting(meeting)


# Primary keys are 64-bit: SQLite cannot take a larger number as a parameter at all.
LARGEST_ID = 2**63 - 1


def _selected(meeting: Meeting, registration_ids) -> list[Registration]:
    ids = set()
    not_understood = RegistrationRefused(_("The selection could not be understood; nothing was changed."))
    for value in registration_ids:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise not_understood from None
        if not 0 < number <= LARGEST_ID:
            raise not_understood
        ids.add(number)
    if not ids:
        raise RegistrationRefused(_("Select at least one registration."))
    # Oldest first: when seats are short, those who registered first get them first.
    chosen = list(
        Registration.objects.filter(meeting=meeting, pk__in=ids)
        .select_related("person__profile")
        .order_by("created_at", "pk")
    )
    if len(chosen) != len(ids):
        raise RegistrationRefused(_("Some of the selected registrations are not for this meeting; nothing was changed."))
    return chosen


def _person_name(registration: Registration) -> str:
    profile = getattr(registration.person, "profile", None)
    return profile.display_name if profile else registration.person.get_username()


def approve_registrations(*, meeting: Meeting, registration_ids, by) -> list[RegistrationOutcome]:
    """The secretariat approves registrations awaiting vetting, oldest first.

    Side effects: each becomes confirmed while seats last (and within the per-organisation
    limit), otherwise waitlisted; decided_by/decided_at are set; each person is told
    (REGISTRATION_CONFIRMED or REGISTRATION_WAITLISTED); one audit entry for the batch.
    All or nothing: a selected registration that is not pending refuses the whole batch.
    """
    with transaction.atomic():
        meeting = _locked_meeting(meeting)
        if not can_manage_registrations(by, meeting):
            raise PermissionDenied
        chosen = _selected(meeting, registration_ids)
        not_pending = [registration for registration in chosen if registration.status != Status.PENDING]
        if not_pending:
            raise RegistrationRefused(
                _("Only registrations awaiting vetting can be approved; %(names)s is not. Nothing was changed.")
                % {"names": ", ".join(_person_name(registration) for registration in not_pending)}
            )
        seats = _Seats(meeting)
        now = timezone.now()
        outcomes = []
        for registration in chosen:
            # The seat counts against the organisation verified by now (none if still unverified).
            registration.organization_id = verified_organization_id(registration.person)
            wait_reason = seats.why_no_seat(registration.organization_id)
            registration.status = Status.WAITLISTED if wait_reason else Status.CONFIRMED
            registration.decided_by = by
            registration.decided_at = now
            registration.save(update_fields=["organization", "status", "decided_by", "decided_at", "updated_at"])
            if wait_reason:
                position = waitlist_position(registration)
                _tell(registration, Dispatch.Event.REGISTRATION_WAITLISTED, position=position, reason=wait_reason)
            else:
                seats.take(registration.organization_id)
                position = None
                _tell(registration, Dispatch.Event.REGISTRATION_CONFIRMED)
            outcomes.append(RegistrationOutcome(registration, waitlist_position=position, wait_reason=wait_reason))
        # One entry per decision taken, however many people it covers.
        record_event(actor=by, action=AuditEvent.Action.REGISTRATION_APPROVED, target=meeting, detail={
            "registrations": [outcome.registration.pk for outcome in outcomes],
            "waitlisted": [outcome.registration.pk for outcome in outcomes if outcome.wait_reason],
        })
    return outcomes


def decline_registrations(*, meeting: Meeting, registration_ids, reason: str, by) -> list[Registration]:
    """The secretariat declines registrations, with a reason the person is sent; returns
    whoever was promoted into the seats freed.

    Side effects: each becomes declined with `reason`, decided_by/decided_at set, and the
    person is told (REGISTRATION_DECLINED, the reason in the notice); seats freed go to the
    first eligible people on the waiting list (REGISTRATION_PROMOTED); one audit entry for
    the batch. All or nothing.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RegistrationRefused(_("Give a reason for declining: it is sent to the person."))
    if len(reason) > REASON_MAX_LENGTH:
        raise RegistrationRefused(_("Keep the reason to %(limit)d characters.") % {"limit": REASON_MAX_LENGTH})
    with transaction.atomic():
        meeting = _locked_meeting(meeting)
        if not can_manage_registrations(by, meeting):
            raise PermissionDenied
        chosen = _selected(meeting, registration_ids)
        over = [registration for registration in chosen if registration.status not in ACTIVE_STATUSES]
        if over:
            raise RegistrationRefused(
                _("%(names)s cancelled or was already declined. Nothing was changed.")
                % {"names": ", ".join(_person_name(registration) for registration in over)}
            )
        now = timezone.now()
        for registration in chosen:
            registration.status = Status.DECLINED
            registration.decline_reason = reason
            registration.decided_by = by
            registration.decided_at = now
            registration.save(update_fields=["status", "decline_reason", "decided_by", "decided_at", "updated_at"])
            _tell(registration, Dispatch.Event.REGISTRATION_DECLINED, reason=reason)
        record_event(actor=by, action=AuditEvent.Action.REGISTRATION_DECLINED, target=meeting,
                     detail={"registrations": [registration.pk for registration in chosen], "reason": reason})
        return _promote_waiting(meeting)


def change_capacity(*, meeting: Meeting, capacity: int, by) -> list[Registration]:
    """Sets the number of seats; returns whoever was promoted into the new ones.

    Side effects: saves the meeting's capacity, with an audit entry; a raise confirms the
    first eligible people on the waiting list (REGISTRATION_PROMOTED). Refuses a capacity below the
    seats already confirmed: nobody loses a confirmed seat this way.
    """
    with transaction.atomic():
        meeting = _locked_meeting(meeting)
        if not can_manage_registrations(by, meeting):
            raise PermissionDenied
        if capacity < 1:
            raise RegistrationRefused(_("A meeting has at least one seat."))
        seats = _Seats(meeting)
        if capacity < seats.total:
            raise RegistrationRefused(
                _("%(confirmed)d people are already confirmed: the capacity cannot go below that. Nothing was changed.")
                % {"confirmed": seats.total}
            )
        previous = meeting.capacity
        meeting.capacity = capacity
        meeting.save(update_fields=["capacity", "updated_at"])
        record_event(actor=by, action=AuditEvent.Action.CAPACITY_CHANGED, target=meeting,
                     detail={"from": previous, "to": capacity})
        return _promote_waiting(meeting, seats)


def check_in(*, registration: Registration, by) -> Registration:
    """Marks a confirmed attendee present at the door.

    Side effects: sets checked_in_at. Refuses someone not confirmed, and a second check-in
    (the first one's time is kept, so the count of people present stays true).
    """
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting", "person__profile")
            .get(pk=registration.pk)
        )
        if not can_manage_registrations(by, registration.meeting):
            raise PermissionDenied
        name = _person_name(registration)
        if registration.status != Status.CONFIRMED:
            raise RegistrationRefused(
                _("%(name)s is not confirmed for this meeting (%(status)s): do not admit without the secretariat.")
                % {"name": name, "status": registration.get_status_display().lower()}
            )
        if registration.checked_in_at is not None:
            raise RegistrationRefused(
                _("%(name)s was already checked in at %(when)s.")
                % {"name": name, "when": format_moment(registration.checked_in_at)}
            )
        registration.checked_in_at = timezone.now()
        registration.save(update_fields=["checked_in_at", "updated_at"])
    return registration
