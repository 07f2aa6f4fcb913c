import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from .timezones import is_valid_time_zone

TIME_ZONE_COOKIE = "viewer_tz"


def viewer_time_zone_name(request) -> str:
    """The signed-in person's zone from their profile; else the browser's, kept in a cookie."""
    user = getattr(request, "user", None)
    profile = getattr(user, "profile", None) if user is not None and user.is_authenticated else None
    if profile is not None and is_valid_time_zone(profile.time_zone):
        return profile.time_zone
    from_cookie = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    if is_valid_time_zone(from_cookie):
        return from_cookie
    return settings.PORTAL_DEFAULT_VIEWER_TIME_ZONE


def _profile_language(request) -> str | None:
    """A signed-in person's language follows them from device to device."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    language = profile.preferred_language if profile else None
    return language if language in dict(settings.LANGUAGES) else None


class ViewerPreferencesMiddleware:
    """Shows every time in the viewer's zone, and pages in their language, for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.viewer_time_zone = viewer_time_zone_name(request)
        remembered_language = _profile_language(request)
        if remembered_language:
            translation.activate(remembered_language)
            request.LANGUAGE_CODE = remembered_language
        timezone.activate(zoneinfo.ZoneInfo(request.viewer_time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
