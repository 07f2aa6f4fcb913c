"""The enrolment page of a person who must have a second factor and has none, and the
single-use link it sends (participants/enrolment.py). Thin views."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import enrolment
from .mfa import mfa_setup_url, needs_enrolment_link
from .models import EnrolmentLink

BAD_REQUEST = 400
# One link a minute at most: each new one replaces the last, and each is an e-mail.
RESEND_AFTER = timedelta(seconds=60)


def _mask(address: str) -> str:
    """o•••@mod.go.jp: enough for the person to know which mailbox, not enough to harvest."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def enrolment_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not needs_enrolment_link(user):
        return redirect("mfa_index")
    latest = EnrolmentLink.objects.filter(user=user).order_by("-created_at", "-pk").first()
    if request.method == "POST":
        if latest is not None and timezone.now() - latest.created_at < RESEND_AFTER:
            messages.warning(request, _("A link was sent less than a minute ago. Look for it in your mailbox first."))
        elif enrolment.send_enrolment_link(user=user, reason=EnrolmentLink.Reason.ASKED) is None:
            messages.error(request, _("Your account has no confirmed e-mail address. Ask the secretariat for help."))
        else:
            messages.success(request, _("We sent you a new link. Open it in this browser."))
        return redirect("participants:mfa_enrolment")
    pending = latest if latest is not None and latest.used_at is None and latest.revoked_at is None \
        and latest.expires_at > timezone.now() else None
    address = enrolment.verified_address(user)
    return render(request, "participants/mfa_enrolment.html", {
        "pending": pending,
        "address": _mask(address) if address else None,
        "hours": int(enrolment.max_age().total_seconds() // 3600),
    })


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def enrolment_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        enrolment.use_enrolment_link(token=token, request=request)
    except enrolment.EnrolmentRefused as refusal:
        return render(request, "participants/mfa_enrolment_refused.html", {"message": refusal.message},
                      status=BAD_REQUEST)
    messages.success(request, _("Thank you: your address is confirmed. Now set up your second factor."))
    return redirect(mfa_setup_url(request.user))
