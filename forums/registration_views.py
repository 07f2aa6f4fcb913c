"""Registering for meetings, the person's own list, and the secretariat's pages for each
meeting: the registrations, their vetting, the export and the check-in desk.

Thin: parse, check permission, call a service or a selector, render. A refusal by the
rules (RegistrationRefused) becomes a message on the page the person comes back to.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from audit.models import AuditEvent
from audit.services import record_event

from . import registration_selectors as selectors
from . import services
from .exports import attendees_csv
from .models import Meeting, Registration
from .permissions import can_cancel_registration, can_manage_registrations
from .registration_forms import CapacityForm, CheckInSearchForm, DecisionForm, RegisterForm
from .services import RegistrationRefused


def _visible_meeting(request, pk: int) -> Meeting:
    meeting = selectors.meeting_for_registrations(request.user, pk)
    # A meeting the viewer may not see answers as if it did not exist.
    if meeting is None:
        raise Http404
    return meeting


def _managed_meeting(request, pk: int) -> Meeting:
    meeting = _visible_meeting(request, pk)
    if not can_manage_registrations(request.user, meeting):
        raise PermissionDenied
    return meeting


def _first_error(form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("The form could not be understood; nothing was changed.")


def _meeting_box(meeting: Meeting) -> str:
    return f"{meeting.get_absolute_url()}#registration-heading"


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    # A path on this site only: redirect() would take a bare word ("0") for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_POST
def register(request, pk: int):
    meeting = _visible_meeting(request, pk)
    if not request.user.is_authenticated:
        # Back to the meeting page after signing in, where the button is: not to this POST-only address.
        return redirect_to_login(meeting.get_absolute_url())
    form = RegisterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(_meeting_box(meeting))
    try:
        outcome = services.register(
            meeting=meeting, person=request.user, note=form.cleaned_data["note"], consent=form.cleaned_data["consent"]
        )
    except RegistrationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, outcome.message)
    return redirect(_meeting_box(meeting))


@login_required
@require_POST
def cancel_registration(request, pk: int):
    registration = get_object_or_404(Registration.objects.select_related("meeting"), pk=pk)
    # Someone else's registration answers as if it did not exist.
    if not can_cancel_registration(request.user, registration):
        raise Http404
    try:
        services.cancel_registration(registration=registration, by=request.user)
    except RegistrationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Your registration is cancelled.") if registration.person_id == request.user.pk
                         else _("The registration is cancelled."))
    return redirect(_safe_next(request, reverse("forums:my_registrations")))


@login_required
@require_safe
def my_registrations(request):
    registrations = selectors.registrations_of(request.user)
    for registration in registrations:
        registration.position = selectors.position_of(registration)
        registration.can_cancel = selectors.may_still_cancel(registration)
    return render(request, "registrations/my_registrations.html", {"registrations": registrations})


@login_required
@require_safe
def meeting_registrations(request, pk: int):
    meeting = _managed_meeting(request, pk)
    registrations = selectors.registrations_for_meeting(meeting)
    counts = selectors.count_registrations(registrations)
    for registration in registrations:
        registration.position = counts.positions.get(registration.pk)
    return render(
        request,
        "registrations/meeting_registrations.html",
        {
            "meeting": meeting,
            "registrations": registrations,
            "counts": counts,
            "decision_form": DecisionForm(),
            "capacity_form": CapacityForm(initial={"capacity": meeting.capacity}),
        },
    )


def _promoted_message(request, promoted: list[Registration]) -> None:
    if promoted:
        messages.info(
            request,
            ngettext(
                "%(count)d person was promoted from the waiting list and told by e-mail.",
                "%(count)d people were promoted from the waiting list and told by e-mail.",
                len(promoted),
            )
            % {"count": len(promoted)},
        )


@login_required
@require_POST
def decide_registrations(request, pk: int):
    meeting = _managed_meeting(request, pk)
    form = DecisionForm(request.POST)
    back = reverse("forums:meeting_registrations", args=[meeting.pk])
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(back)
    chosen = request.POST.getlist("registration")
    try:
        if form.cleaned_data["action"] == "approve":
            outcomes = services.approve_registrations(meeting=meeting, registration_ids=chosen, by=request.user)
            confirmed = sum(1 for outcome in outcomes if outcome.registration.status == Registration.Status.CONFIRMED)
            messages.success(
                request,
                _("%(approved)d approved: %(confirmed)d confirmed, %(waiting)d on the waiting list (no seat left).")
                % {"approved": len(outcomes), "confirmed": confirmed, "waiting": len(outcomes) - confirmed},
            )
        else:
            declined = len(set(chosen))
            promoted = services.decline_registrations(
                meeting=meeting, registration_ids=chosen, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(
                request,
                ngettext("%(count)d registration declined.", "%(count)d registrations declined.", declined)
                % {"count": declined},
            )
            _promoted_message(request, promoted)
    except RegistrationRefused as refusal:
        messages.error(request, refusal.message)
    return redirect(back)


@login_required
@require_POST
def change_capacity(request, pk: int):
    meeting = _managed_meeting(request, pk)
    form = CapacityForm(request.POST)
    back = reverse("forums:meeting_registrations", args=[meeting.pk])
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(back)
    try:
        promoted = services.change_capacity(meeting=meeting, capacity=form.cleaned_data["capacity"], by=request.user)
    except RegistrationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The meeting now has %(seats)d seats.") % {"seats": form.cleaned_data["capacity"]})
        _promoted_message(request, promoted)
    return redirect(back)


@login_required
@require_safe
def export_attendees(request, pk: int, for_excel: bool = False):
    meeting = _managed_meeting(request, pk)
    content = attendees_csv(meeting, selectors.attendees(meeting), for_excel=for_excel)
    # A list of people and their addresses left the portal: who took it is recorded.
    record_event(actor=request.user, action=AuditEvent.Action.ATTENDEES_EXPORTED, target=meeting,
                 detail={"for_excel": for_excel})
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    name = f"meeting-{meeting.pk}-attendees{'-excel' if for_excel else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # A list of people and their e-mail addresses: no shared cache keeps a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_safe
def check_in_desk(request, pk: int):
    meeting = _managed_meeting(request, pk)
    form = CheckInSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    return render(
        request,
        "registrations/check_in.html",
        {
            "meeting": meeting,
            "form": form,
            "query": query,
            "results": selectors.find_for_check_in(meeting, query),
            "attendance": selectors.attendance(meeting),
        },
    )


@login_required
@require_POST
def check_in(request, pk: int, registration_pk: int):
    meeting = _managed_meeting(request, pk)
    registration = get_object_or_404(Registration, pk=registration_pk, meeting=meeting)
    try:
        registration = services.check_in(registration=registration, by=request.user)
    except RegistrationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        profile = getattr(registration.person, "profile", None)
        name = profile.display_name if profile else registration.person.get_username()
        messages.success(request, _("%(name)s is checked in.") % {"name": name})
    back = reverse("forums:check_in_desk", args=[meeting.pk])
    # Back to the same search, if it was one the desk's form accepts (not a megabyte of it).
    search = CheckInSearchForm(request.POST)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    return redirect(f"{back}?{urlencode({'q': query})}" if query else back)


@login_required
@require_safe
def attendance(request, pk: int):
    """The live count the check-in page polls (static/js/check-in.js)."""
    meeting = _managed_meeting(request, pk)
    response = JsonResponse(selectors.attendance(meeting))
    patch_cache_control(response, private=True, no_store=True)
    return response
