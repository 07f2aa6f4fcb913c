"""The viewer's language and time zone, switchable from every page."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from . import services
from .middleware import TIME_ZONE_COOKIE
from .timezones import COMMON_TIME_ZONES, available_time_zones, is_valid_time_zone

ONE_YEAR = 365 * 24 * 60 * 60


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or request.META.get("HTTP_REFERER") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@require_safe
def choose_time_zone(request):
    """Every IANA zone, for the viewer whose zone is not among the common ones on each page."""
    return render(
        request,
        "participants/choose_time_zone.html",
        {
            "next": _safe_next(request),
            "common_zones": COMMON_TIME_ZONES,
            "other_zones": sorted(available_time_zones() - set(COMMON_TIME_ZONES)),
        },
    )


@require_POST
def set_time_zone(request):
    name = request.POST.get("time_zone", "")
    response = HttpResponseRedirect(_safe_next(request))
    if not is_valid_time_zone(name):
        messages.error(request, _("That time zone is not known; times stay in your current zone."))
        return response
    if request.user.is_authenticated and hasattr(request.user, "profile"):
        services.remember_time_zone(profile=request.user.profile, time_zone=name)
    response.set_cookie(TIME_ZONE_COOKIE, name, max_age=ONE_YEAR, samesite="Lax",
                        secure=request.is_secure(), httponly=False)
    return response


@require_POST
def set_language(request):
    """Django's switcher, and for a signed-in person their profile remembers the choice."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("That language is not offered."))
        return HttpResponseRedirect(_safe_next(request))
    if request.user.is_authenticated and hasattr(request.user, "profile"):
        services.remember_language(profile=request.user.profile, language=language)
    return django_set_language(request)
