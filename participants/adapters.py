"""How allauth's sign-up fits the portal: every new account is an industry representative
with a profile to complete, and is sent to the profile step until it is complete."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation

from .models import Profile
from .onboarding import needs_profile_step, profile_step_url
from .timezones import is_valid_time_zone


class PortalAccountAdapter(DefaultAccountAdapter):
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

    def get_login_stages(self) -> list[str]:
        # The second-factor step knows when an identity provider asserted MFA (participants/sso.py).
        return [
            "participants.sso.MFAUnlessIdentityProviderAssertedStage" if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in super().get_login_stages()
        ]

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
