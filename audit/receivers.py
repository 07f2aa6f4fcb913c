"""What the audit record hears without anyone calling it: sign-ins and their failures,
sign-outs, password changes, and the second factors added, removed or failed."""

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditEvent
from .services import client_ip, record_event

Action = AuditEvent.Action


def _ip(request) -> str | None:
    return client_ip(request) if request is not None else None


@receiver(user_logged_in, dispatch_uid="audit.signed_in")
def signed_in(sender, request, user, **kwargs) -> None:
    record_event(actor=user, action=Action.SIGNED_IN, target=user, ip=_ip(request))


@receiver(user_login_failed, dispatch_uid="audit.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; what was typed as the
    # login is kept (bounded), so that guessing at one account shows in the record.
    login = credentials.get("email") or credentials.get("username") or credentials.get("login") or ""
    record_event(actor=None, action=Action.SIGN_IN_FAILED, ip=_ip(request), detail={"login": str(login)})


@receiver(user_logged_out, dispatch_uid="audit.signed_out")
def signed_out(sender, request, user, **kwargs) -> None:
    # A session the portal ended is recorded as its expiry (participants/sessions.py).
    if user is None or getattr(request, "_portal_session_expired", False):
        return
    record_event(actor=user, action=Action.SIGNED_OUT, target=user, ip=_ip(request))


@receiver(password_changed, dispatch_uid="audit.password_changed")
def changed_password(sender, request, user, **kwargs) -> None:
    record_event(actor=user, action=Action.PASSWORD_CHANGED, target=user, ip=_ip(request))


@receiver(password_reset, dispatch_uid="audit.password_reset")
def reset_password(sender, request, user, **kwargs) -> None:
    record_event(actor=user, action=Action.PASSWORD_RESET, target=user, ip=_ip(request))


@receiver(authenticator_added, dispatch_uid="audit.mfa_added")
def mfa_added(sender, request, user, authenticator, **kwargs) -> None:
    record_event(actor=user, action=Action.MFA_ADDED, target=user, ip=_ip(request),
                 detail={"type": authenticator.type})


@receiver(authenticator_removed, dispatch_uid="audit.mfa_removed")
def mfa_removed(sender, request, user, authenticator, **kwargs) -> None:
    record_event(actor=user, action=Action.MFA_REMOVED, target=user, ip=_ip(request),
                 detail={"type": authenticator.type})


@receiver(authenticator_reset, dispatch_uid="audit.mfa_reset")
def mfa_reset(sender, request, user, authenticator, **kwargs) -> None:
    record_event(actor=user, action=Action.MFA_RESET, target=user, ip=_ip(request),
                 detail={"type": authenticator.type})


@receiver(authentication_failed, dispatch_uid="audit.mfa_failed")
def mfa_failed(sender, request, user, authenticator=None, **kwargs) -> None:
    # Not signed in yet: the password was right, the code was not. Recorded against the
    # account, with no actor, as the sign-in has not happened.
    record_event(actor=None, action=Action.MFA_FAILED, target=user, ip=_ip(request),
                 detail={"type": getattr(authenticator, "type", "")})
