"""The secretariat's view of the outbox, and each person's notification settings and
one-click unsubscribe. Thin views: parse, check permission, call a service or selector."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from participants.permissions import is_secretariat

from . import digests, selectors, services, tasks
from .emails import read_unsubscribe_token
from .forms import PreferencesForm
from .models import DIGEST_CATEGORY, Category, Dispatch

DISPATCH_PAGE_SIZE = 50
BAD_REQUEST = 400


def _require_secretariat(request) -> None:
    if not is_secretariat(request.user):
        raise PermissionDenied


@login_required
@require_safe
def dispatch_list(request):
    _require_secretariat(request)
    page = Paginator(selectors.dispatch_page(), DISPATCH_PAGE_SIZE).get_page(request.GET.get("page"))
    worker = selectors.worker_state(in_process=bool(tasks.sweep_outbox.app.conf.task_always_eager))
    return render(request, "notifications/dispatch_list.html", {"page": page, "worker": worker})


@login_required
@require_POST
def retry_dispatch(request, pk: int):
    _require_secretariat(request)
    dispatch = get_object_or_404(Dispatch, pk=pk)
    count = services.retry_failed_deliveries(dispatch=dispatch, by=request.user)
    if count:
        messages.success(request, _("%(count)s failed deliveries will be sent again.") % {"count": count})
    else:
        messages.info(request, _("This notice has no failed delivery."))
    return redirect("notifications:dispatch_list")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request):
    current = services.preferences_of(request.user)
    form = PreferencesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        for category, mode in form.cleaned_data.items():
            if mode != current[category]:
                services.set_preference(person=request.user, category=category, mode=mode)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html",
                  {"form": form, "digest_zone": digests.zone_place_of(request.user)},
                  status=BAD_REQUEST if form.errors else 200)


# Mail programs post the one-click unsubscribe (RFC 8058) without a session or a CSRF
# token; the signed link is what proves the request. GET only shows a confirmation, so
# a link checker opening the address unsubscribes nobody.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    try:
        category = read_unsubscribe_token(token)[1]
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe_invalid.html", status=BAD_REQUEST)
    is_digest = category == DIGEST_CATEGORY
    category_label = _("the daily digest") if is_digest else dict(Category.choices).get(category, category)
    if request.method == "POST":
        try:
            services.unsubscribe(token=token)
        except (signing.BadSignature, LookupError, ValueError):  # spent meanwhile, or the category is gone
            return render(request, "notifications/unsubscribe_invalid.html", status=BAD_REQUEST)
        return render(request, "notifications/unsubscribed.html", {"category": category_label})
    return render(request, "notifications/unsubscribe.html",
                  {"category": category_label, "token": token, "is_digest": is_digest})
