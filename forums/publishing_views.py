"""The secretariat publishes: agenda builder, minutes workflow, paper upload; readers get
the versions of the minutes and their differences.

Thin views: parse, check permission, call a service or selector, render. A meeting the
viewer may not see answers 404; an action they may not take answers 403 with the reason;
a step the current state does not allow (publishing unapproved minutes, editing published
ones) goes back to the page with the reason, changing nothing.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import publishing_selectors as selectors
from .diffs import diff_texts, has_changes
from .markdown import render_markdown
from .models import AgendaItem, Meeting, Minutes
from .permissions import (
    can_build_agenda,
    can_follow_minutes,
    can_preview_minutes,
    can_read_minutes,
    can_upload_paper,
    can_view_meeting,
    can_write_minutes,
)
from working_groups.selectors import group_by_slug

from .publishing_forms import AgendaItemForm, MinutesForm, PaperForm, ReturnMinutesForm
from .services import agenda as agenda_services
from .services import minutes as minutes_services
from .services import papers as paper_services

FORBIDDEN = 403
# Preview requests carry the whole text; beyond this it is not minutes any more.
PREVIEW_MAX_CHARACTERS = 500_000


def _refuse(request, message: str) -> HttpResponse:
    return render(request, "forums/minutes_refused.html", {"message": message}, status=FORBIDDEN)


def _meeting_or_404(request, pk: int) -> Meeting:
    meeting = selectors.viewable_meeting(request.user, pk)
    if meeting is None:
        raise Http404
    return meeting


def _item_or_404(request, pk: int) -> AgendaItem:
    item = get_object_or_404(AgendaItem.objects.select_related("meeting"), pk=pk)
    if not can_view_meeting(request.user, item.meeting):
        raise Http404
    return item


def _minutes_or_404(request, pk: int) -> Minutes:
    """A version of the minutes of a meeting the viewer may see (the action's own check follows)."""
    minutes = get_object_or_404(Minutes.objects.select_related("meeting__working_group", "meeting__forum"), pk=pk)
    if not can_view_meeting(request.user, minutes.meeting):
        raise Http404
    return minutes


def _run(request, action: Callable[[], Any], *, success: str | Promise, back: str) -> HttpResponse:
    """Calls a service; 403 with its reason when refused, back with the reason when the
    state does not allow it, back with `success` otherwise."""
    try:
        action()
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal) or _("You may not do this."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(request, success)
    return redirect(back)


def _agenda_url(meeting_id: int) -> str:
    return reverse("forums:meeting_detail", args=[meeting_id]) + "#agenda"


def _workflow_url(meeting_id: int) -> str:
    return reverse("forums:minutes_workflow", args=[meeting_id])


# Agenda builder ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def agenda_item_add(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    if not can_build_agenda(request.user, meeting):
        return _refuse(request, _("Only the secretariat builds and publishes agendas."))
    form = AgendaItemForm(request.POST or None, instance=AgendaItem(meeting=meeting))
    if request.method == "POST" and form.is_valid():
        try:
            item = agenda_services.add_agenda_item(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Item “%(title)s” added to the draft agenda.") % {"title": item.title})
            return redirect(_agenda_url(meeting.pk))
    return render(request, "forums/agenda_item_form.html", {"meeting": meeting, "form": form, "item": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
def agenda_item_edit(request, pk: int):
    item = _item_or_404(request, pk)
    meeting = item.meeting
    if not can_build_agenda(request.user, meeting):
        return _refuse(request, _("Only the secretariat builds and publishes agendas."))
    form = AgendaItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            agenda_services.update_agenda_item(item=item, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Item “%(title)s” saved in the draft agenda.") % {"title": item.title})
            return redirect(_agenda_url(meeting.pk))
    return render(request, "forums/agenda_item_form.html", {"meeting": meeting, "form": form, "item": item},
                  status=400 if form.errors else 200)


@require_POST
def agenda_item_move(request, pk: int):
    item = _item_or_404(request, pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest(_("Move the item up or down."))

    def move() -> None:
        if not agenda_services.move_agenda_item(item=item, by=request.user, direction=direction):
            raise ValidationError(_("The item is already at that end of the agenda."))

    return _run(request, move, success=_("Item “%(title)s” moved.") % {"title": item.title},
                back=_agenda_url(item.meeting_id))


@require_POST
def agenda_item_remove(request, pk: int):
    item = _item_or_404(request, pk)
    return _run(
        request,
        lambda: agenda_services.remove_agenda_item(item=item, by=request.user),
        success=_("Item “%(title)s” removed from the draft agenda.") % {"title": item.title},
        back=_agenda_url(item.meeting_id),
    )


@require_POST
def agenda_publish(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    return _run(
        request,
        lambda: agenda_services.publish_agenda(meeting=meeting, by=request.user),
        success=_("The agenda is published; readers now see this version."),
        back=_agenda_url(meeting.pk),
    )


# Minutes workflow ----------------------------------------------------------------------


@require_safe
def minutes_workflow(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    if not can_follow_minutes(request.user, meeting):
        raise Http404  # drafts are not shown to those outside the workflow, nor is the page
    context = selectors.minutes_workflow(request.user, meeting)
    in_making = context["in_making"]
    return render(
        request,
        "forums/minutes_workflow.html",
        {
            "meeting": meeting,
            **context,
            "in_making_html": render_markdown(in_making.body) if in_making else "",
            "return_form": ReturnMinutesForm(),
        },
    )


@require_POST
def minutes_start(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    holder: dict[str, Minutes] = {}

    def start() -> None:
        holder["minutes"] = minutes_services.start_minutes(meeting=meeting, by=request.user)

    response = _run(request, start, success=_("The minutes are started as a draft."), back=_workflow_url(meeting.pk))
    if "minutes" in holder:
        return redirect("forums:minutes_edit", holder["minutes"].pk)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def minutes_edit(request, pk: int):
    minutes = _minutes_or_404(request, pk)
    meeting = minutes.meeting
    if not can_write_minutes(request.user, meeting):
        return _refuse(request, _("Only the secretariat writes and publishes minutes."))
    if request.method != "POST" and minutes.status != Minutes.Status.DRAFT:
        messages.error(
            request,
            _("Published minutes are never edited. Start an amendment to change them.")
            if minutes.status == Minutes.Status.PUBLISHED
            else _("Only a draft can be edited; these minutes are waiting for the co-chairs."),
        )
        return redirect(_workflow_url(meeting.pk))
    form = MinutesForm(request.POST or None, initial={"body": minutes.body, "marking": minutes.marking})
    if request.method == "POST" and form.is_valid():
        try:
            minutes_services.save_minutes_draft(
                minutes=minutes, by=request.user, body=form.cleaned_data["body"], marking=form.cleaned_data["marking"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(_workflow_url(meeting.pk))
        messages.success(request, _("Draft saved."))
        return redirect("forums:minutes_edit", minutes.pk)
    return render(
        request,
        "forums/minutes_edit.html",
        {"meeting": meeting, "minutes": minutes, "form": form, "preview_html": render_markdown(minutes.body)},
        status=400 if form.errors else 200,
    )


@require_POST
def minutes_preview(request):
    """The sanitised HTML of the posted Markdown, for the live preview beside the editor."""
    if not can_preview_minutes(request.user):
        return HttpResponse(_("Only the secretariat writes minutes."), status=FORBIDDEN, content_type="text/plain")
    body = request.POST.get("body", "")
    if len(body) > PREVIEW_MAX_CHARACTERS:
        return HttpResponseBadRequest(_("The text is too long to preview."), content_type="text/plain")
    response = HttpResponse(render_markdown(body), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _step(service: Callable[..., Minutes], success: Promise):
    """A view for one workflow step that needs nothing but the version and the person."""

    @require_POST
    def view(request, pk: int):
        minutes = _minutes_or_404(request, pk)
        return _run(request, lambda: service(minutes=minutes, by=request.user), success=success,
                    back=_workflow_url(minutes.meeting_id))

    view.__name__ = view.__qualname__ = f"minutes_{service.__name__}"
    return view


# Lazy: these are read when a request is answered, in that request's language.
minutes_submit = _step(
    minutes_services.submit_minutes, gettext_lazy("The minutes are sent to the co-chairs for approval.")
)
minutes_approve = _step(
    minutes_services.approve_minutes, gettext_lazy("The minutes are approved; the secretariat may publish them.")
)
minutes_publish = _step(minutes_services.publish_minutes, gettext_lazy("The minutes are published."))


@require_POST
def minutes_return(request, pk: int):
    minutes = _minutes_or_404(request, pk)
    form = ReturnMinutesForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    return _run(
        request,
        lambda: minutes_services.return_minutes(minutes=minutes, by=request.user, comment=comment),
        success=_("The minutes are returned to the secretariat with your comment."),
        back=_workflow_url(minutes.meeting_id),
    )


@require_POST
def minutes_amend(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    holder: dict[str, Minutes] = {}

    def amend() -> None:
        holder["minutes"] = minutes_services.start_amendment(meeting=meeting, by=request.user)

    response = _run(request, amend, success=_("An amendment is started as a new draft version."),
                    back=_workflow_url(meeting.pk))
    if "minutes" in holder:
        return redirect("forums:minutes_edit", holder["minutes"].pk)
    return response


# Reading the minutes --------------------------------------------------------------------


@require_safe
def minutes_versions(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    versions = selectors.readable_minutes_versions(request.user, meeting)
    if not versions:
        raise Http404
    current = next((minutes for minutes in versions if minutes.status == Minutes.Status.PUBLISHED), None)
    return render(
        request,
        "forums/minutes_versions.html",
        {
            "meeting": meeting,
            "versions": versions,
            "current": current,
            "current_html": render_markdown(current.body) if current else "",
            "can_follow": can_follow_minutes(request.user, meeting),
        },
    )


@require_safe
def minutes_version(request, pk: int):
    minutes = _minutes_or_404(request, pk)
    if not can_read_minutes(request.user, minutes):
        raise Http404
    return render(
        request,
        "forums/minutes_version.html",
        {"meeting": minutes.meeting, "minutes": minutes, "minutes_html": render_markdown(minutes.body)},
    )


@require_safe
def minutes_print(request, pk: int):
    minutes = _minutes_or_404(request, pk)
    if not can_read_minutes(request.user, minutes):
        raise Http404
    return render(
        request,
        "forums/minutes_print.html",
        {"meeting": minutes.meeting, "minutes": minutes, "minutes_html": render_markdown(minutes.body)},
    )


@require_safe
def minutes_diff(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    versions = {minutes.version: minutes for minutes in selectors.readable_minutes_versions(request.user, meeting)}
    if not versions:
        raise Http404
    try:
        old_number, new_number = int(request.GET.get("from", "")), int(request.GET.get("to", ""))
    except ValueError:
        old_number = new_number = None
    if old_number not in versions or new_number not in versions:
        messages.error(request, _("Choose two versions you may read to compare them."))
        return render(request, "forums/minutes_diff.html",
                      {"meeting": meeting, "versions": versions.values(), "lines": None}, status=400)
    old, new = versions[old_number], versions[new_number]
    lines = diff_texts(old.body, new.body)
    return render(
        request,
        "forums/minutes_diff.html",
        {"meeting": meeting, "versions": versions.values(), "old": old, "new": new, "lines": lines,
         "has_changes": has_changes(lines)},
    )


# Papers --------------------------------------------------------------------------------


def _upload(request, *, meeting: Meeting | None = None, working_group=None, back: str):
    if not can_upload_paper(request.user):
        return _refuse(request, _("Only the secretariat adds papers."))
    form = PaperForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            paper = paper_services.add_paper(
                by=request.user,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                language=form.cleaned_data["language"],
                marking=form.cleaned_data["marking"],
                meeting=meeting,
                working_group=working_group,
                releasable_to=form.cleaned_data["releasable_to"],
            )
        except ValidationError as error:
            # The file's own faults go beside the file field; the paper's others beside theirs.
            form.add_error(None if hasattr(error, "error_dict") else "file", error)
        else:
            messages.success(request, _("Paper “%(title)s” added.") % {"title": paper.title})
            return redirect(back)
    return render(
        request,
        "forums/papers_upload.html",
        {"form": form, "meeting": meeting, "working_group": working_group, "back": back},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def paper_upload_for_meeting(request, pk: int):
    meeting = _meeting_or_404(request, pk)
    return _upload(request, meeting=meeting, back=reverse("forums:meeting_detail", args=[meeting.pk]))


@require_http_methods(["GET", "HEAD", "POST"])
def paper_upload_for_group(request, slug: str):
    group = group_by_slug(slug)
    if group is None:
        raise Http404
    return _upload(request, working_group=group, back=reverse("working_groups:detail", args=[group.slug]))
