"""The reads the registration pages need, each in a fixed number of queries."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Meeting, Registration
from .permissions import can_manage_registrations, can_view_meeting
from .registration_forms import RegisterForm
from .services.registrations import ACTIVE_STATUSES, refusal_reason, registration_closes_at

Status = Registration.Status
SEARCH_RESULTS_LIMIT = 50


def with_waitlist_position(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """Annotates `waitlist_ahead`: how many on the same meeting's waiting list are before each
    one (the list is kept in the order of registering). Position = waitlist_ahead + 1."""
    ahead = (
        Registration.objects.filter(meeting=OuterRef("meeting"), status=Status.WAITLISTED)
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))
        .order_by()
        .values("meeting")
        .annotate(ahead=Count("pk"))
        .values("ahead")
    )
    return registrations.annotate(waitlist_ahead=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)))


def position_of(registration: Registration) -> int | None:
    if registration.status != Status.WAITLISTED:
        return None
    return registration.waitlist_ahead + 1


def may_still_cancel(registration: Registration, *, now: datetime | None = None) -> bool:
    return registration.status in ACTIVE_STATUSES and (now or timezone.now()) < registration.meeting.starts_at


@dataclass
class RegistrationBox:
    """What the meeting page says about registering, for one viewer."""

    takes_registrations: bool
    registration: Registration | None = None
    waitlist_position: int | None = None
    can_cancel: bool = False
    refusal: str | None = None
    may_register: bool = False
    manages: bool = False
    closes_at: datetime | None = None

    @property
    def form(self) -> RegisterForm:
        return RegisterForm()


def registration_box(user, meeting: Meeting, *, registered_meeting_ids: frozenset[int] | None = None) -> RegistrationBox:
    """`registered_meeting_ids`: the meetings the person holds a registration for (in any
    status), when the caller knows them (forums.views keeps them in the cache): no query
    then for the many meeting pages they did not register for."""
    takes = meeting.registration_opens_at is not None
    box = RegistrationBox(
        takes_registrations=takes,
        manages=can_manage_registrations(user, meeting),
        closes_at=registration_closes_at(meeting) if takes else None,
    )
    if not takes or not user.is_authenticated:
        return box
    # Most people on a meeting page hold no registration, and few of those who do wait:
    # the waiting-list position is counted only for them.
    registration = (
        Registration.objects.filter(meeting=meeting, person=user).order_by().first()
        if registered_meeting_ids is None or meeting.pk in registered_meeting_ids
        else None
    )
    if registration is not None:
        registration.meeting = meeting
        if registration.status == Status.WAITLISTED:
            registration = with_waitlist_position(Registration.objects.filter(pk=registration.pk)).select_related(
                "meeting"
            ).first()
    if registration is not None and registration.status in ACTIVE_STATUSES:
        box.registration = registration
        box.waitlist_position = position_of(registration)
        box.can_cancel = may_still_cancel(registration)
        return box
    if registration is not None and registration.status == Status.DECLINED:
        box.registration = registration
        return box
    box.refusal = refusal_reason(meeting=meeting, person=user, now=timezone.now())
    box.may_register = box.refusal is None
    return box


def registrations_of(user) -> list[Registration]:
    """The person's registrations, each with its waiting-list position: the coming meetings
    soonest first, then the past ones latest first."""
    registrations = list(
        with_waitlist_position(Registration.objects.filter(person=user))
        .select_related("meeting", "organization")
        .order_by("meeting__starts_at", "pk")
    )
    now = timezone.now()
    coming = [registration for registration in registrations if registration.meeting.ends_at >= now]
    past = [registration for registration in registrations if registration.meeting.ends_at < now]
    return coming + past[::-1]


def meeting_for_registrations(user, pk: int) -> Meeting | None:
    """The meeting, when `user` may see it (None answers 404)."""
    meeting = Meeting.objects.filter(pk=pk).select_related("forum").first()
    if meeting is None or not can_view_meeting(user, meeting):
        return None
    return meeting


def registrations_for_meeting(meeting: Meeting) -> list[Registration]:
    """Every registration of the meeting, in the order of registering, with what the
    secretariat's list shows."""
    return list(
        Registration.objects.filter(meeting=meeting)
        .select_related("person__profile", "organization__country")
        .order_by("created_at", "pk")
    )


@dataclass
class RegistrationCounts:
    """Counts by status, and of active registrations by country and by organisation."""

    by_status: list[tuple[str, str, int]] = field(default_factory=list)
    by_country: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    by_organization: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)


def count_registrations(registrations: list[Registration]) -> RegistrationCounts:
    """Worked out from the list already fetched: no query per row or per group."""
    status_counts = Counter(registration.status for registration in registrations)
    countries: dict[str, Counter] = {}
    organizations: dict[str, Counter] = {}
    positions: dict[int, int] = {}
    for registration in registrations:
        if registration.status == Status.WAITLISTED:
            positions[registration.pk] = len(positions) + 1
        if registration.status not in ACTIVE_STATUSES:
            continue
        organization = registration.organization
        organization_name = organization.display_name if organization else "—"
        country_name = organization.country.name if organization else "—"
        countries.setdefault(country_name, Counter())[registration.status] += 1
        organizations.setdefault(organization_name, Counter())[registration.status] += 1
    return RegistrationCounts(
        by_status=[(value, label, status_counts.get(value, 0)) for value, label in Status.choices],
        by_country=sorted((name, dict(counts)) for name, counts in countries.items()),
        by_organization=sorted((name, dict(counts)) for name, counts in organizations.items()),
        positions=positions,
    )


def attendees(meeting: Meeting) -> list[Registration]:
    """The confirmed registrations: the attendee list the export writes."""
    return list(
        Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED)
        .select_related("person__profile", "organization__country")
        .order_by("organization__name", "person__profile__full_name", "pk")
    )


def find_for_check_in(meeting: Meeting, query: str) -> list[Registration]:
    """Confirmed and other registrations matching a check-in code or a part of a name or e-mail."""
    query = query.strip()
    if not query:
        return []
    matches = (
        Q(checkin_code__iexact=query)
        | Q(person__profile__full_name__icontains=query)
        | Q(person__profile__full_name_ja__icontains=query)
        | Q(person__email__icontains=query)
    )
    return list(
        Registration.objects.filter(meeting=meeting)
        .filter(matches)
        .exclude(status=Status.CANCELLED)
        .select_related("person__profile", "organization")
        .order_by("person__profile__full_name", "pk")[:SEARCH_RESULTS_LIMIT]
    )


def attendance(meeting: Meeting) -> dict[str, int]:
    """How many confirmed attendees there are, and how many are present."""
    return Registration.objects.filter(meeting=meeting, status=Status.CONFIRMED).aggregate(
        confirmed=Count("pk"), present=Count("pk", filter=Q(checked_in_at__isnull=False))
    )
