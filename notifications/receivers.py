"""What the outbox hears from lower apps without their importing it (DESIGN.md, point 12)."""

from django.dispatch import receiver

from participants.mfa import wrong_codes_repeated

from .models import Dispatch
from .services import record_dispatch


@receiver(wrong_codes_repeated, dispatch_uid="notifications.wrong_codes_repeated")
def tell_of_wrong_codes(sender, user, failures: int, ip: str | None = None, **kwargs) -> None:
    """The person (is it them? if not, someone has their password) and the secretariat.
    Sent inside participants' transaction, so the notices are committed with the count."""
    context = {"failures": failures, "ip": ip or ""}
    for audience in (Dispatch.Audience.PERSON, Dispatch.Audience.SECRETARIAT):
        record_dispatch(event=Dispatch.Event.SECOND_FACTOR_FAILURES, target=user, audience=audience,
                        person=user if audience == Dispatch.Audience.PERSON else None, context=context)
