"""allauth's forms for the code asked at sign-in (and when the code is asked again), with
the portal's growing wait after wrong codes in a row (participants/mfa.py)."""

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from audit.services import client_ip

from .mfa import clear_wrong_codes, record_wrong_code, seconds_to_wait


class WrongCodesSlowDown:
    """While the account must wait, no code is even looked at, the right one included:
    guessing goes no faster for knowing the password."""

    user: object

    def clean_code(self) -> str:
        wait = seconds_to_wait(self.user)
        if wait:
            raise ValidationError(
                ngettext(
                    "Too many wrong codes in a row: try again in %(seconds)d second.",
                    "Too many wrong codes in a row: try again in %(seconds)d seconds.",
                    wait,
                ) % {"seconds": wait},
                code="wait",
            )
        try:
            code = super().clean_code()
        except ValidationError as error:
            if error.code == "incorrect_code":  # not allauth's own rate limit speaking
                request = context.request
                record_wrong_code(user=self.user, ip=client_ip(request) if request is not None else None)
            raise
        clear_wrong_codes(user=self.user)
        return code


class PortalAuthenticateForm(WrongCodesSlowDown, AuthenticateForm):
    pass


class PortalReauthenticateForm(WrongCodesSlowDown, ReauthenticateForm):
    pass
