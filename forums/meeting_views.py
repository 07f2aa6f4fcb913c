"""The secretariat runs its meetings: create, edit (with a confirmation step showing the
times in the venue's and the viewer's zones), publish, open registration, postpone,
cancel, mark as held, duplicate. Thin views over forums.services.meetings.

A meeting the viewer may not see answers 404; one they see but may not run answers 403
with the reason; a step the meeting's state does not allow goes back to its page with
the reason, changing nothing.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import publishing_selectors
from .meeting_forms import CancelMeetingForm, MeetingForm
from .models import Meeting
from .permissions import can_create_meeting, can_manage_meeting
from .services import meetings as meeting_services

FORBIDDEN = 403
BAD_REQUEST = 400
# The buttons of the form and of its confirmation step.
PREVIEW, CONFIRM, CHANGE = "preview", "confirm", "change"
NOT_CARRIED = frozenset({"csrfmiddlewaretoken", PREVIEW, CONFIRM, CHANGE})


def _refuse(request, message: str) -> HttpResponse:
    return render(request, "forums/minutes_refused.html", {"message": message}, status=FORBIDDEN)


def _managed_meeting(request, pk: int) -> Meeting | HttpResponse:
    meeting = publishing_selectors.viewable_meeting(request.user, pk)
    if meeting is None:
        raise Http404
    if not can_manage_meeting(request.user, meeting):
        return _refuse(request, _("Only the secretariat runs meetings."))
    return meeting


def _form_step(request, *, meeting: Meeting | None, save: Callable[[dict], Meeting], success: str) -> HttpResponse:
    """The form, then a confirmation page with the times in both zones, then the save."""
    if request.method != "POST":
        return render(request, "forums/meeting_form.html", {"form": MeetingForm(meeting=meeting), "meeting": meeting})
    form = MeetingForm(request.POST, meeting=meeting)
    template_context = {"form": form, "meeting": meeting}
    valid = form.is_valid()
    if CHANGE in request.POST:
        return render(request, "forums/meeting_form.html", template_context)
    if not valid:
        return render(request, "forums/meeting_form.html", template_context, status=BAD_REQUEST)
    if CONFIRM not in request.POST:
        carried = [(name, value) for name, values in request.POST.lists() if name not in NOT_CARRIED
                   for value in values]
        return render(request, "forums/meeting_confirm.html", {**template_context, "carried": carried})
    try:
        saved = save(form.cleaned_changes())
    except ValidationError as error:
        for field, errors in error.update_error_dict({}).items():
            form.add_error(field if field in form.fields else None, errors)
        return render(request, "forums/meeting_form.html", template_context, status=BAD_REQUEST)
    messages.success(request, success)
    return redirect(saved.get_absolute_url())


@require_http_methods(["GET", "HEAD", "POST"])
def meeting_create(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_create_meeting(request.user):
        return _refuse(request, _("Only the secretariat creates meetings."))
    return _form_step(
        request, meeting=None,
        save=lambda changes: meeting_services.create_meeting(by=request.user, **changes),
        success=_("The meeting is saved as a draft: only the secretariat sees it until you publish it."),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def meeting_edit(request, pk: int):
    meeting = _managed_meeting(request, pk)
    if isinstance(meeting, HttpResponse):
        return meeting
    if meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.HELD):
        messages.error(request, _("A cancelled or held meeting is no longer changed; duplicate it instead."))
        return redirect(meeting.get_absolute_url())

    def save(changes: dict) -> Meeting:
        if meeting.status == Meeting.Status.POSTPONED and changes["starts_at"] != meeting.starts_at:
            # A new date for a postponed meeting is the firm one: it is on again.
            changes["status"] = Meeting.Status.SCHEDULED
        return meeting_services.update_meeting(meeting=meeting, by=request.user, **changes)

    return _form_step(request, meeting=meeting, save=save, success=_(
        "The meeting is saved. If its time or place changed, everyone concerned is told shortly, "
        "with an updated calendar invitation."))


def _action(request, pk: int, action: Callable[[Meeting], object], success: str) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    if isinstance(meeting, HttpResponse):
        return meeting
    try:
        result = action(meeting)
    except PermissionDenied:
        return _refuse(request, _("Only the secretariat runs meetings."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(meeting.get_absolute_url())
    messages.success(request, success)
    target = result if isinstance(result, Meeting) else meeting
    return redirect(target.get_absolute_url())


@require_POST
def meeting_publish(request, pk: int):
    return _action(request, pk, lambda meeting: meeting_services.publish_meeting(meeting=meeting, by=request.user),
                   _("The meeting is published: it is on the schedule and in calendars for everyone who may see it."))


@require_POST
def meeting_open_registration(request, pk: int):
    return _action(request, pk,
                   lambda meeting: meeting_services.open_registration(meeting=meeting, by=request.user),
                   _("Registration is open."))


@require_POST
def meeting_postpone(request, pk: int):
    return _action(request, pk, lambda meeting: meeting_services.postpone_meeting(meeting=meeting, by=request.user),
                   _("The meeting is postponed. Everyone concerned is told that its date is no longer firm."))


@require_POST
def meeting_cancel(request, pk: int):
    form = CancelMeetingForm(request.POST)

    def cancel(meeting: Meeting) -> Meeting:
        if meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.HELD, Meeting.Status.DRAFT):
            raise ValidationError(_("Only a scheduled or postponed meeting can be cancelled."))
        if not form.is_valid():
            raise ValidationError(form.errors["reason"])
        return meeting_services.cancel_meeting(meeting=meeting, by=request.user, reason=form.cleaned_data["reason"])

    return _action(request, pk, cancel, _("The meeting is cancelled. Everyone concerned is told, with the reason."))


@require_POST
def meeting_mark_held(request, pk: int):
    return _action(request, pk, lambda meeting: meeting_services.mark_meeting_held(meeting=meeting, by=request.user),
                   _("The meeting is marked as held."))


@require_POST
def meeting_duplicate(request, pk: int):
    return _action(request, pk, lambda meeting: meeting_services.duplicate_meeting(meeting=meeting, by=request.user),
                   _("This is a new draft copied from the meeting, agenda included. Set its date, then publish it."))
