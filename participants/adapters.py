"""How allauth's sign-up fits the portal: every new account is an industry representative
with a profile to complete, and is sent to the profile step until it is complete."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Profile
from .onboarding import needs_profile_step, profile_step_url
from .timezones import is_valid_time_zone


class PortalAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's e-mails (address confirmation, password reset, sign-up with a known
        address…) in the portal's own templates (templates/account/email/), in the language
        and time zone of the account the address belongs to, else of the page that asked."""
        profile = _profile_with_address(email)
        language = translation.get_language() or settings.LANGUAGE_CODE
        zone = timezone.get_current_timezone_name()
        if profile is not None:
            language = profile.preferred_language or language
            zone = profile.time_zone if is_valid_time_zone(profile.time_zone) else zone
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        request = allauth_context.request
        with translation.override(language), timezone.override(zone):
            super().send_mail(template_prefix, email, {
                **context,
                "recipient_name": profile.display_name if profile is not None and profile.full_name else "",
                # The portal as it was reached: the links in the mail lead back to the same place.
                "portal_url": request.build_absolute_uri("/") if request is not None else settings.PORTAL_BASE_URL,
            })

    def format_email_subject(self, subject: str) -> str:
        # The portal's name, never allauth's "[host:port]" (ACCOUNT_EMAIL_SUBJECT_PREFIX is "").
        return _("DICAS Portal: %(subject)s") % {"subject": subject}

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        """The account, and its profile with the industry role: other roles are given by the
        secretariat, never by signing up. Language and zone start as the visitor's own."""
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                language = translation.get_language() or settings.LANGUAGE_CODE
                if language not in dict(settings.LANGUAGES):
                    language = settings.LANGUAGE_CODE
                zone = getattr(request, "viewer_time_zone", "")
                Profile.objects.get_or_create(
                    user=user,
                    defaults={
                        "role": Profile.Role.INDUSTRY,
                        "preferred_language": language,
                        "time_zone": zone if is_valid_time_zone(zone) else settings.PORTAL_DEFAULT_VIEWER_TIME_ZONE,
                    },
                )
        return user

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # Where the sign-up resumes once the e-mail address is confirmed: a new account
        # always has its profile to complete.
        return profile_step_url()

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Straight to the profile step after confirming the e-mail address: nothing else
        # works before it is done (ProfileStepMiddleware), so it saves a redirect.
        if needs_profile_step(request.user):
            return profile_step_url()
        return super().get_login_redirect_url(request)


def _profile_with_address(email: str) -> Profile | None:
    user = (get_user_model().objects.filter(email__iexact=email).select_related("profile")
            .order_by("-last_login").first())
    return getattr(user, "profile", None) if user is not None else None
