"""Receivers of the sign-in and MFA signals that concern participants' sessions."""

from allauth.account.signals import user_logged_in as allauth_logged_in
from allauth.account.signals import email_confirmed
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .affiliations import verify_by_email_domain
from .devices import remember_device
from .enrolment import spend_enrolment_permit
from .mfa import forget_second_factor, remember_second_factor
from .sessions import start_session_clock


@receiver(user_logged_in, dispatch_uid="participants.start_session_clock")
def start_clock_at_sign_in(sender, request, user, **kwargs) -> None:
    # Signing in outside a request (a script) has no session to stamp.
    if request is not None and hasattr(request, "session"):
        start_session_clock(request)
        remember_second_factor(request, user)


@receiver(allauth_logged_in, dispatch_uid="participants.remember_device")
def remember_device_at_sign_in(sender, request, response, user, **kwargs) -> None:
    # allauth's own signal carries the response of a completed sign-in (second factor included).
    if response is not None:
        remember_device(response, user)


@receiver(authenticator_added, dispatch_uid="participants.mfa_added")
def second_factor_added(sender, request, user, authenticator, **kwargs) -> None:
    if request is not None:
        remember_second_factor(request, user)
        # The link let this session add one factor: further ones are added as anyone adds
        # a second, from a session signed in with the first.
        spend_enrolment_permit(request)


@receiver(authenticator_removed, dispatch_uid="participants.mfa_removed")
def second_factor_removed(sender, request, user, authenticator, **kwargs) -> None:
    if request is not None:
        forget_second_factor(request)


@receiver(email_confirmed, dispatch_uid="participants.verify_affiliation_by_domain")
def affiliation_by_confirmed_address(sender, request, email_address, **kwargs) -> None:
    # An address just confirmed at a domain verified for the organisation the person named.
    verify_by_email_domain(person=email_address.user)
