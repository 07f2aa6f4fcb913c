from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Dispatch(models.Model):
    """One thing that happened and must be told, with the rule saying to whom.

    Written by a service inside its own transaction (the transactional outbox), so a
    change and its notice are committed together or not at all. The worker expands it
    into one Delivery per recipient at send time.
    """

    class Event(models.TextChoices):
        AGENDA_PUBLISHED = "agenda_published", _("Agenda published")
        AGENDA_CHANGED = "agenda_changed", _("Agenda changed")
        MINUTES_SUBMITTED = "minutes_submitted", _("Minutes sent for approval")
        MINUTES_RETURNED = "minutes_returned", _("Minutes returned")
        MINUTES_APPROVED = "minutes_approved", _("Minutes approved")
        MINUTES_PUBLISHED = "minutes_published", _("Minutes published")
        MINUTES_AMENDED = "minutes_amended", _("Minutes amended")
        MEETING_RESCHEDULED = "meeting_rescheduled", _("Meeting rescheduled")
        MEETING_POSTPONED = "meeting_postponed", _("Meeting postponed")
        MEETING_CANCELLED = "meeting_cancelled", _("Meeting cancelled")
        MEETING_REMINDER = "meeting_reminder", _("Meeting reminder")
        REGISTRATION_RECEIVED = "registration_received", _("Registration received")
        REGISTRATION_CONFIRMED = "registration_confirmed", _("Registration confirmed")
        REGISTRATION_WAITLISTED = "registration_waitlisted", _("Registration waitlisted")
        REGISTRATION_PROMOTED = "registration_promoted", _("Registration promoted from the waiting list")
        REGISTRATION_DECLINED = "registration_declined", _("Registration declined")
        REGISTRATION_CANCELLED = "registration_cancelled", _("Registration cancelled")
        PAPER_ADDED = "paper_added", _("New paper")
        ACTION_ITEM_ASSIGNED = "action_item_assigned", _("Action item assigned")
        ACTION_ITEM_OVERDUE = "action_item_overdue", _("Action item overdue")
        INVITATION = "invitation", _("Invitation")

    class Audience(models.TextChoices):
        """Rules resolved by the worker at send time, through the pages' permission functions."""

        MEETING_VIEWERS = "meeting_viewers", _("Everyone concerned by the meeting who may see it")
        MEETING_ATTENDEES = "meeting_attendees", _("Confirmed attendees and group members")
        GROUP_MEMBERS = "group_members", _("Members of the working group")
        COCHAIRS = "cochairs", _("The co-chairs")
        SECRETARIAT = "secretariat", _("The secretariat")
        PERSON = "person", _("One person")

    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    audience = models.CharField(_("audience"), max_length=30, choices=Audience.choices)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    # For Audience.PERSON: who. Otherwise empty.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What the notice says beyond the target itself (e.g. the agenda's change summary).
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expanded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        indexes = [models.Index(fields=["expanded_at", "created_at"], name="dispatch_pending")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    """Written by the worker on beat's schedule: proof that tasks are being run."""

    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S %Z}"
