import calendar
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from audit.models import AuditEvent
from audit.services import client_ip, record_event

from . import cache as page_cache
from . import registration_selectors, selectors
from . import publishing_selectors
from .filters import ScheduleFilterForm
from .markdown import render_markdown
from .models import Document, Meeting, Registration
from .meeting_forms import CancelMeetingForm
from .permissions import (
    PaperClearance, can_download_document, can_manage_meeting, can_view_meeting, must_acknowledge_handling,
)
from .services.papers import acknowledge_handling, content_type_for

HOME_UPCOMING_COUNT = 6
SCHEDULE_PAGE_SIZE = 20
BAD_REQUEST = 400


def not_found_or_sign_in(request: HttpRequest) -> HttpResponse:
    """The answer for a meeting page the viewer may not see, the same as for one that
    does not exist (its existence must not leak). A signed-out visitor, who typically
    followed a link from an e-mail, is asked to sign in and then brought back here; whoever
    is signed in and still may not see it gets the 404 page."""
    if not request.user.is_authenticated:
        # The sign-in page says why they are there (templates/account/login.html).
        return redirect_to_login(request.get_full_path())
    raise Http404


@require_GET
def home(request):
    # Queried only when the content is rendered, not when it comes from the cache.
    context = {
        "forum": SimpleLazyObject(selectors.the_forum),
        "upcoming": selectors.upcoming_meetings_for(request.user, limit=HOME_UPCOMING_COUNT),
    }
    content = page_cache.cached_render(
        request, "home", [], "forums/_home_content.html", context,
        timeout=lambda: page_cache.seconds_until(selectors.next_schedule_change(request.user, filters={})),
    )
    return render(request, "forums/home.html", {**context, "content_html": content})


FILTER_FIELDS = frozenset(ScheduleFilterForm.base_fields)


def _parse_filters(request) -> tuple[ScheduleFilterForm, dict, bool]:
    """The form, the filters understood, and whether some were not."""
    if not FILTER_FIELDS.intersection(request.GET):
        # Nothing to check: the form is made only if the page is rendered rather than cached.
        return SimpleLazyObject(lambda: ScheduleFilterForm(request.GET)), {}, False
    form = ScheduleFilterForm(request.GET)
    filters = form.valid_filters()
    if form.errors:
        messages.warning(request, _("Some filters could not be understood and were left out; see the form below."))
    return form, filters, bool(form.errors)


SCHEDULE_PARAMETERS = frozenset({"q", "group", "kind", "country", "start", "end", "when", "page"})


@require_GET
def schedule(request):
    form, filters, has_errors = _parse_filters(request)
    past = request.GET.get("when") == "past"
    # Made and queried only when the content is rendered, not when it comes from the cache.
    page = SimpleLazyObject(
        lambda: Paginator(
            selectors.schedule_for(request.user, filters=filters, past=past), SCHEDULE_PAGE_SIZE
        ).get_page(request.GET.get("page"))
    )
    context = {"form": form, "page": page, "past": past, "is_filtered": bool(filters)}
    query = page_cache.query_parts(request, SCHEDULE_PARAMETERS)
    content = page_cache.cached_render(
        request, "schedule", [query], "forums/_schedule_content.html", context,
        cacheable=query is not None and not has_errors,
        # Until the next meeting ends and moves from "upcoming" to "past".
        timeout=lambda: page_cache.seconds_until(selectors.next_schedule_change(request.user, filters=filters)),
    )
    return render(
        request,
        "forums/schedule.html",
        {**context, "content_html": content},
        status=BAD_REQUEST if has_errors else 200,
    )


@require_GET
def calendar_today(request):
    today = timezone.localdate()
    return redirect("forums:calendar_month", year=today.year, month=today.month)


def _month_grid(year: int, month: int, meetings) -> list[list[dict]]:
    """Weeks of days (Monday first), each day with the meetings starting on it in the viewer's zone."""
    by_day: dict[date, list[Meeting]] = {}
    for meeting in meetings:
        by_day.setdefault(timezone.localtime(meeting.starts_at).date(), []).append(meeting)
    weeks = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month)
    return [
        [{"date": day, "in_month": day.month == month, "meetings": by_day.get(day, [])} for day in week]
        for week in weeks
    ]


@require_GET
def calendar_month(request, year: int, month: int):
    form, filters, has_errors = _parse_filters(request)
    status = BAD_REQUEST if has_errors else 200
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        messages.error(request, _("There is no such month; here is the current one."))
        today = timezone.localdate()
        year, month, status = today.year, today.month, BAD_REQUEST
    zone = timezone.get_current_timezone()
    first = date(year, month, 1)
    after = (first + timedelta(days=31)).replace(day=1)
    # Queried only when the content is rendered, not when it comes from the cache.
    meetings = SimpleLazyObject(lambda: list(selectors.meetings_between(
        request.user,
        filters=filters,
        start=datetime.combine(first, time.min, tzinfo=zone),
        end=datetime.combine(after, time.min, tzinfo=zone),
    )))
    before = (first - timedelta(days=1)).replace(day=1)
    context = {
        "form": form,
        "month": first,
        "weeks": SimpleLazyObject(lambda: _month_grid(year, month, meetings)),
        "previous_month": before,
        "next_month": after,
        "weekdays": [date(2024, 1, day) for day in range(1, 8)],  # 1 January 2024 was a Monday
        "is_filtered": bool(filters),
        "meeting_count": SimpleLazyObject(lambda: len(meetings)),
    }
    query = page_cache.query_parts(request, FILTER_FIELDS)
    content = page_cache.cached_render(
        request, "calendar_month", [year, month, query], "forums/_calendar_month_content.html", context,
        cacheable=query is not None and not has_errors,
    )
    return render(request, "forums/calendar_month.html", {**context, "content_html": content}, status=status)


@require_GET
def meeting_detail(request, pk: int):
    meeting = page_cache.cached_row(request, "meeting", pk, lambda: selectors.meeting_row(pk))
    # A meeting the viewer may not see answers as if it did not exist.
    if meeting is None or not can_view_meeting(request.user, meeting, group_ids=page_cache.group_ids_of(request)):
        return not_found_or_sign_in(request)

    def render_main():
        # Agenda (the builder for the secretariat, the last published version for the others),
        # readable minutes, and the publishing links this viewer gets.
        publishing = publishing_selectors.meeting_page_publishing(request.user, meeting)
        minutes = publishing["minutes"]
        html = render_to_string(
            "forums/_meeting_main.html",
            {
                "meeting": meeting,
                **publishing,
                "minutes_html": render_markdown(minutes.body) if minutes else "",
                "papers": PaperClearance(request.user, group_ids=page_cache.group_ids_of(request)).filter(
                    meeting.documents.select_related("meeting")
                ),
            },
            request,
        )
        # The builder (drafts) and the action items under a review item are the viewer's own.
        if publishing.get("agenda_builder") or publishing["review_action_items"] is not None:
            return page_cache.uncacheable(html)
        return html

    main_html = page_cache.cached_fragment(
        "meeting",
        (*page_cache.viewer_parts(request), page_cache.clearance_class(request), meeting.pk),
        render_main,
        # People's data too: the clearance class names an organisation, whose country counts.
        depends_on=(page_cache.MEETINGS, page_cache.PEOPLE),
        request=request,
    )
    # Beside the registration box, which is the viewer's own.
    registration_info_html = page_cache.cached_fragment(
        "meeting_registration_info",
        (*page_cache.viewer_parts(request), meeting.pk),
        lambda: render_to_string("forums/_meeting_registration_info.html", {"meeting": meeting}),
        request=request,
    )
    return render(
        request,
        "forums/meeting_detail.html",
        {
            "meeting": meeting,
            "main_html": mark_safe(main_html),
            "registration_info_html": mark_safe(registration_info_html),
            "registration_box": registration_selectors.registration_box(
                request.user, meeting, registered_meeting_ids=_registered_meeting_ids(request)
            ),
            # The secretariat's actions carry its CSRF token: rendered here, never cached.
            "manage": _meeting_actions(meeting) if can_manage_meeting(request.user, meeting) else None,
        },
    )


def _meeting_actions(meeting: Meeting) -> dict:
    """Which of the secretariat's steps the meeting's state allows now."""
    Status = Meeting.Status
    now = timezone.now()
    return {
        "edit": meeting.status in (Status.DRAFT, Status.SCHEDULED, Status.POSTPONED),
        "publish": meeting.status == Status.DRAFT,
        "open_registration": meeting.status == Status.SCHEDULED and meeting.starts_at > now
        and (meeting.registration_opens_at is None or meeting.registration_opens_at > now),
        "postpone": meeting.status == Status.SCHEDULED,
        "cancel": meeting.status in (Status.SCHEDULED, Status.POSTPONED),
        "mark_held": meeting.status == Status.SCHEDULED and meeting.starts_at <= now,
        "cancel_form": CancelMeetingForm(),
    }


def _registered_meeting_ids(request) -> frozenset[int] | None:
    """The meetings the viewer holds a registration for, kept for them alone until a
    registration changes (None for a visitor)."""
    user = request.user
    if not user.is_authenticated:
        return None
    return page_cache.cached_fragment(
        "registered_meeting_ids",
        (user.pk,),
        lambda: frozenset(Registration.objects.filter(person=user).values_list("meeting_id", flat=True)),
        depends_on=(page_cache.REGISTRATIONS,),
        request=request,
    )


@require_GET
def download_paper(request, pk: int):
    document = get_object_or_404(Document.objects.select_related("meeting"), pk=pk)
    if not can_download_document(request.user, document):
        # Not a page to come back to but a file: the 404 page offers visitors to sign in.
        raise Http404
    if must_acknowledge_handling(document, acknowledged=selectors.handling_acknowledged(
            user=request.user, document=document)):
        return redirect("forums:paper_handling", document.pk)
    if document.marking != Document.Marking.PUBLIC:
        # Who took a marked paper, and when, must be answerable later.
        record_event(actor=request.user, action=AuditEvent.Action.PAPER_DOWNLOADED, target=document,
                     ip=client_ip(request), detail={"marking": document.marking})
    filename = document.file.name.rsplit("/", 1)[-1]
    # Always an attachment with the type its extension allows: never rendered in the portal's origin.
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=filename,
                            content_type=content_type_for(filename))
    response["X-Content-Type-Options"] = "nosniff"
    if document.marking != Document.Marking.PUBLIC:
        # Neither a shared proxy nor the browser's disk cache may keep a marked paper.
        response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def paper_handling(request, pk: int):
    """The handling rule of an export-controlled paper, acknowledged once before its first download."""
    document = get_object_or_404(Document.objects.select_related("meeting", "working_group", "forum"), pk=pk)
    if not can_download_document(request.user, document) or document.marking != Document.Marking.EXPORT_CONTROLLED:
        raise Http404
    if request.method == "POST":
        if request.POST.get("acknowledge") != "yes":
            messages.error(request, _("Tick the box to acknowledge the handling rule, or go back."))
        else:
            acknowledge_handling(document=document, by=request.user)
            return redirect("forums:download_paper", document.pk)
    acknowledged = selectors.handling_acknowledged(user=request.user, document=document)
    return render(request, "forums/paper_handling.html", {"document": document, "acknowledged": acknowledged},
                  status=400 if request.method == "POST" else 200)
