"""The secretariat's page of the audit record: filter and export. There is no view that
changes or deletes an entry, here or in the admin (audit/admin.py is read-only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from participants.permissions import can_view_audit

from . import selectors
from .exports import csv_lines
from .forms import AuditFilterForm
from .models import AuditEvent
from .services import record_event

PAGE_SIZE = 100
BAD_REQUEST = 400
# One export is a spreadsheet, not a backup: beyond this, narrow the filters.
EXPORT_MAX_ROWS = 100_000


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, dict]:
    if not can_view_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET)
    filters = form.valid_filters()
    if form.errors:
        messages.warning(request, _("Some filters could not be understood and were left out; see the form below."))
    return form, filters


@login_required
@require_safe
def event_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    page = Paginator(selectors.events_matching(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "is_filtered": bool(filters)},
        status=BAD_REQUEST if form.errors else 200,
    )


@login_required
@require_safe
def export_csv(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if form.errors:
        return render(request, "audit/event_list.html",
                      {"form": form, "page": None, "query": "", "is_filtered": False}, status=BAD_REQUEST)
    # Who took a copy of the record, and of which part, is itself part of the record.
    record_event(actor=request.user, action=AuditEvent.Action.AUDIT_EXPORTED,
                 detail={key: str(value) for key, value in filters.items()})
    events = selectors.events_matching(filters)[:EXPORT_MAX_ROWS].iterator(chunk_size=2000)
    response = StreamingHttpResponse(csv_lines(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    # Who did what and from where: no shared cache keeps a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response
