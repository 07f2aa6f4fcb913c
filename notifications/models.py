import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
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
        # Wrong second-factor codes in a row after a right password (participants/mfa.py).
        SECOND_FACTOR_FAILURES = "second_factor_failures", _("Wrong sign-in codes")
        # An affiliation or a co-chair or secretariat role reaches its review date within 30 days.
        REVIEW_DUE = "review_due", _("Review of an affiliation or role due")
        # One person's morning e-mail gathering the notices held for it (notifications/digests.py).
        DIGEST = "digest", _("Daily digest")

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
    # Makes a notice happen at most once, whoever records it and how often (e.g. one
    # reminder per meeting and start time, recorded by a periodic task). Usually empty.
    key = models.CharField(max_length=200, unique=True, null=True, blank=True, editable=False)
    # Not expanded before this moment: quick edits of a meeting in a row make one e-mail,
    # the newest (forums.services.meetings.record_change_notice). Usually empty.
    hold_until = models.DateTimeField(_("held until"), null=True, blank=True)
    # A newer notice about the same thing took its place while it was held: never sent.
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("superseded by")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        indexes = [models.Index(fields=["expanded_at", "created_at"], name="dispatch_pending")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    """Proof that a worker is alive: each worker process writes its own row every few
    seconds while it is connected to the broker (notifications/heartbeat.py), under a name
    of its own for each start; beat's task also stamps the row of whichever worker runs it."""

    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S %Z}"


class Category(models.TextChoices):
    """What a person may switch off, one notice kind at a time (the unsubscribe link's unit)."""

    AGENDA = "agenda", _("Agendas")
    MINUTES = "minutes", _("Minutes")
    MEETINGS = "meetings", _("Meeting changes and reminders")
    PAPERS = "papers", _("New papers")
    ACTION_ITEMS = "action_items", _("Action items")
    REGISTRATIONS = "registrations", _("Registrations for the meetings you run")
    REVIEWS = "reviews", _("Affiliations and roles due for review")


# The digest e-mail's own unsubscribe unit. Not a Category (the settings page lists those):
# its link switches off every category the person takes in the digest.
DIGEST_CATEGORY = "digest"
# Notices about the safety of an account: nobody switches them off, and none waits for a digest.
SECURITY_CATEGORY = "security"

E = Dispatch.Event
CATEGORY_OF_EVENT: dict[str, str] = {
    E.AGENDA_PUBLISHED: Category.AGENDA,
    E.AGENDA_CHANGED: Category.AGENDA,
    E.MINUTES_SUBMITTED: Category.MINUTES,
    E.MINUTES_RETURNED: Category.MINUTES,
    E.MINUTES_APPROVED: Category.MINUTES,
    E.MINUTES_PUBLISHED: Category.MINUTES,
    E.MINUTES_AMENDED: Category.MINUTES,
    E.MEETING_RESCHEDULED: Category.MEETINGS,
    E.MEETING_POSTPONED: Category.MEETINGS,
    E.MEETING_CANCELLED: Category.MEETINGS,
    E.MEETING_REMINDER: Category.MEETINGS,
    E.INVITATION: Category.MEETINGS,
    E.DIGEST: DIGEST_CATEGORY,
    E.SECOND_FACTOR_FAILURES: SECURITY_CATEGORY,
    E.REGISTRATION_RECEIVED: Category.REGISTRATIONS,
    E.REGISTRATION_CONFIRMED: Category.REGISTRATIONS,
    E.REGISTRATION_WAITLISTED: Category.REGISTRATIONS,
    E.REGISTRATION_PROMOTED: Category.REGISTRATIONS,
    E.REGISTRATION_DECLINED: Category.REGISTRATIONS,
    E.REGISTRATION_CANCELLED: Category.REGISTRATIONS,
    E.PAPER_ADDED: Category.PAPERS,
    E.ACTION_ITEM_ASSIGNED: Category.ACTION_ITEMS,
    E.ACTION_ITEM_OVERDUE: Category.ACTION_ITEMS,
    E.REVIEW_DUE: Category.REVIEWS,
}
REGISTRATION_EVENTS = frozenset(event for event, category in CATEGORY_OF_EVENT.items()
                                if category == Category.REGISTRATIONS)


def category_of(dispatch: Dispatch) -> str:
    return CATEGORY_OF_EVENT[dispatch.event]


def is_transactional(dispatch: Dispatch) -> bool:
    """A notice about the person's own registration: sent whatever their settings, and
    without an unsubscribe link (they asked for it by registering). The same events sent
    to the secretariat ("a registration awaits vetting") are ordinary notices. Notices
    about an account's safety are transactional for everyone they go to."""
    if category_of(dispatch) == SECURITY_CATEGORY:
        return True
    return dispatch.event in REGISTRATION_EVENTS and dispatch.audience == Dispatch.Audience.PERSON


def new_message_id_part() -> str:
    """The random part of a delivery's Message-ID (the domain after "@" is a setting)."""
    return secrets.token_hex(16)


class Delivery(models.Model):
    """One notice to one person: the unit the worker claims, sends and marks.

    Unique per dispatch and recipient, so expanding a dispatch twice (a re-queued task, the
    sweep) never makes a second e-mail. `status` moves pending → sending (claimed by a
    worker, since `claimed_at`) → sent or failed; a temporary refusal puts it back to
    pending with `next_attempt_at` later.

    A recipient who takes the notice's category in the daily digest gets it `held`
    instead: never claimed nor swept, it waits for their morning, when it becomes
    `digested` (told in the digest dispatch `digest`) or `withheld` (not told: they may no
    longer see it, or switched the category off since; `last_error` says which).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held for the daily digest")
        DIGESTED = "digested", _("Told in a daily digest")
        WITHHELD = "withheld", _("Not told in the digest")

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("dispatch"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_deliveries",
        verbose_name=_("recipient"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Pending: not to be tried before this moment (exponential backoff after a refusal).
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Sending: when a worker claimed it. Also the claim's token: a worker writes only rows
    # still carrying its own claim, so a claim the sweep took back is never sent twice.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # Sending: the worker process holding the claim (notifications/heartbeat.py), so the
    # sweep takes back at once what a worker whose heartbeat stopped held. Empty for
    # claims made in-process (no worker), which wait for the lease.
    claimed_by = models.CharField(_("claimed by"), max_length=200, blank=True, default="")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Stored, so that every attempt at this delivery carries the same Message-ID and a mail
    # system that took an earlier attempt recognises the copy; random, so that it is unique
    # in the world (ids repeat from one installation to the next).
    message_id_part = models.CharField(
        _("message identifier"), max_length=32, editable=False, default=new_message_id_part
    )
    # Digested: the digest dispatch that told it. RESTRICT: that record outlives nothing it
    # vouches for, yet deleting the person (both rows cascade) still works.
    digest = models.ForeignKey(
        Dispatch, on_delete=models.RESTRICT, null=True, blank=True, related_name="digest_items",
        verbose_name=_("daily digest"),
    )

    class Meta:
        ordering = ["dispatch", "pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch", "recipient"],
                name="delivery_once_per_dispatch_and_recipient",
                violation_error_message=_("This person already has a delivery of this notice."),
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["pending", "sending", "sent", "failed", "held", "digested", "withheld"]
                ),
                name="delivery_status_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="digested") | models.Q(digest__isnull=False),
                name="delivery_digested_has_digest",
                violation_error_message=_("A delivery told in a digest needs that digest."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
                violation_error_message=_("A sent delivery needs the time it was sent."),
            ),
        ]
        indexes = [
            # The worker's claim: a dispatch's pending deliveries that are due.
            models.Index(fields=["dispatch", "status", "next_attempt_at"], name="delivery_claim"),
            # The sweep: unfinished deliveries only, a small part of the table.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="delivery_unfinished",
            ),
            # The digest beat: each person's held deliveries, oldest first; few rows at any time.
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(status="held"),
                name="delivery_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dispatch} → {self.recipient} ({self.get_status_display()})"


class NotificationPreference(models.Model):
    """A person's choice for one category; no row means "send them"."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Send each notice")
        DIGEST = "digest", _("Once a day, in a morning digest")
        OFF = "off", _("Do not send")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences",
        verbose_name=_("person"),
    )
    category = models.CharField(_("notices"), max_length=20, choices=Category.choices)
    mode = models.CharField(_("setting"), max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["person", "category"], name="notification_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_category_display()}: {self.get_mode_display()}"


def new_unsubscribe_salt() -> str:
    import secrets

    return secrets.token_urlsafe(24)


class UnsubscribeKey(models.Model):
    """The secret behind a person's unsubscribe links (notifications/unsubscribe_keys.py).

    The link's key is derived from `salt` with the server's SECRET_KEY and stored here only
    as its SHA-256, so a copy of the database alone opens no link. Using a link, or the
    key's age passing NOTIFICATIONS_UNSUBSCRIBE_KEY_DAYS, ends every link made with it: the
    next e-mail carries one made with a new salt."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="unsubscribe_key", verbose_name=_("person"))
    salt = models.CharField(max_length=64, default=new_unsubscribe_salt)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("unsubscribe key")
        verbose_name_plural = _("unsubscribe keys")

    def __str__(self) -> str:
        return f"{self.person} ({self.created_at:%Y-%m-%d})"
