import zoneinfo

from django.conf import settings
from django.utils import timezone

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


class ViewerPreferencesMiddleware:
    """Shows every time in the viewer's zone for the length of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.viewer_time_zone = viewer_time_zone_name(request)
        timezone.activate(zoneinfo.ZoneInfo(request.viewer_time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
