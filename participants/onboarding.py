"""The profile step after sign-up: who still has to take it, and sending them there."""

from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation

from .models import Profile
from .timezones import is_valid_time_zone


def start_industry_profile(*, user, request: HttpRequest | None) -> Profile:
    """The profile of a new account, by sign-up or agency sign-in alike: an industry
    representative (other roles are the secretariat's to give), in the visitor's own
    language and zone, with the profile step still to complete."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    zone = getattr(request, "viewer_time_zone", "")
    profile, _created = Profile.objects.get_or_create(
        user=user,
        defaults={
            "role": Profile.Role.INDUSTRY,
            "preferred_language": language,
            "time_zone": zone if is_valid_time_zone(zone) else settings.PORTAL_DEFAULT_VIEWER_TIME_ZONE,
        },
    )
    return profile


def profile_is_complete(profile: Profile | None) -> bool:
    """A name and an organisation: what the secretariat needs to vet and seat someone."""
    return bool(profile is not None and profile.full_name.strip() and profile.organization_id)


def needs_profile_step(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    # Administrators' accounts are made by hand for the admin site; they attend nothing.
    if user.is_superuser or user.is_staff:
        return False
    return not profile_is_complete(getattr(user, "profile", None))


def profile_step_url(next_url: str | None = None) -> str:
    url = reverse("participants:profile_details")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@lru_cache(maxsize=1)
def _open_prefixes() -> tuple[str, ...]:
    """Pages a person without a complete profile may still reach: the step itself, the
    account pages (sign out, e-mail, password), the switchers and what pages load."""
    return (
        reverse("participants:profile_details"),
        "/accounts/",
        reverse("set_language"),
        reverse("set_time_zone"),
        reverse("healthz"),
        settings.STATIC_URL,
    )


class ProfileStepMiddleware:
    """Sends a signed-in person whose profile is incomplete to the profile step first.

    Sign-up creates the account; the portal can vet and seat someone only once it knows
    their name and organisation, so every other page waits until then.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if needs_profile_step(getattr(request, "user", None)) and not request.path.startswith(_open_prefixes()):
            # Back to where they were going afterwards; a form they posted is not replayed.
            next_url = request.get_full_path() if request.method in ("GET", "HEAD") else None
            return HttpResponseRedirect(profile_step_url(next_url))
        return self.get_response(request)
