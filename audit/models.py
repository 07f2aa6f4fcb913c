from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One thing someone did that must be accountable later (e.g. downloading a marked paper).

    Rows are only ever added: the admin shows them read-only. `target_repr` keeps what the
    target was called at the time, so the record stays readable if the target is deleted.
    """

    class Action(models.TextChoices):
        # Accounts and sign-in
        SIGNED_IN = "account.signed_in", _("Signed in")
        SIGN_IN_FAILED = "account.sign_in_failed", _("Sign-in failed")
        SIGNED_OUT = "account.signed_out", _("Signed out")
        SIGNED_OUT_EVERYWHERE = "account.signed_out_everywhere", _("Signed out everywhere")
        SESSION_EXPIRED = "account.session_expired", _("Session expired")
        PASSWORD_CHANGED = "account.password_changed", _("Password changed")
        PASSWORD_RESET = "account.password_reset", _("Password reset")
        MFA_ADDED = "account.mfa_added", _("Authenticator added")
        MFA_REMOVED = "account.mfa_removed", _("Authenticator removed")
        MFA_RESET = "account.mfa_reset", _("Recovery codes regenerated")
        MFA_FAILED = "account.mfa_failed", _("Wrong authenticator code")
        MFA_SLOWED = "account.mfa_slowed", _("Sign-in slowed down after wrong codes")
        MFA_REMOVAL_REFUSED = "account.mfa_removal_refused", _("Removing the last second factor refused")
        MFA_ENROLMENT_LINK_SENT = "account.mfa_enrolment_link_sent", _("Enrolment link sent")
        MFA_ENROLMENT_LINK_USED = "account.mfa_enrolment_link_used", _("Enrolment link used")
        ROLE_CHANGED = "account.role_changed", _("Role changed")
        ROLE_LAPSED = "account.role_lapsed", _("Role lapsed at its review date")
        ROLE_RENEWED = "account.role_renewed", _("Role renewed")
        # Affiliations and the organisations and domains behind them
        AFFILIATION_REQUESTED = "affiliation.requested", _("Affiliation requested")
        AFFILIATION_VERIFIED = "affiliation.verified", _("Affiliation verified")
        AFFILIATION_DECLINED = "affiliation.declined", _("Affiliation declined")
        AFFILIATION_ENDED = "affiliation.ended", _("Affiliation ended")
        AFFILIATION_RENEWED = "affiliation.renewed", _("Affiliation renewed")
        ORGANIZATION_CONFIRMED = "organization.confirmed", _("Organisation confirmed")
        DOMAIN_VERIFIED = "domain.verified", _("E-mail domain verified")
        DOMAIN_REMOVED = "domain.removed", _("Verified e-mail domain removed")
        ROLE_GRANT_REQUESTED = "account.role_grant_requested", _("Privileged role given, awaiting approval")
        ROLE_GRANT_APPROVED = "account.role_grant_approved", _("Privileged role approved")
        ROLE_GRANT_DECLINED = "account.role_grant_declined", _("Privileged role declined")
        PERSON_ERASED = "account.person_erased", _("Personal data erased")
        # Invitations
        INVITATION_SENT = "invitation.sent", _("Invitation sent")
        INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
        INVITATION_REVOKED = "invitation.revoked", _("Invitation revoked")
        # Meetings
        MEETING_CREATED = "meeting.created", _("Meeting created")
        MEETING_CHANGED = "meeting.changed", _("Meeting changed")
        MEETING_PUBLISHED = "meeting.published", _("Meeting published")
        MEETING_POSTPONED = "meeting.postponed", _("Meeting postponed")
        MEETING_CANCELLED = "meeting.cancelled", _("Meeting cancelled")
        MEETING_HELD = "meeting.held", _("Meeting marked as held")
        MEETING_DUPLICATED = "meeting.duplicated", _("Meeting duplicated")
        # Publication
        AGENDA_PUBLISHED = "agenda.published", _("Agenda published")
        MINUTES_STARTED = "minutes.started", _("Minutes started")
        MINUTES_SUBMITTED = "minutes.submitted", _("Minutes sent for approval")
        MINUTES_APPROVED = "minutes.approved", _("Minutes approved")
        MINUTES_RETURNED = "minutes.returned", _("Minutes returned")
        MINUTES_PUBLISHED = "minutes.published", _("Minutes published")
        MINUTES_AMENDED = "minutes.amended", _("Minutes amendment started")
        PAPER_ADDED = "paper.added", _("Paper added")
        PAPER_DOWNLOADED = "paper.downloaded", _("Paper downloaded")
        HANDLING_ACKNOWLEDGED = "paper.handling_acknowledged", _("Handling rule acknowledged")
        # Registrations
        REGISTRATION_APPROVED = "registration.approved", _("Registration approved")
        REGISTRATION_DECLINED = "registration.declined", _("Registration declined")
        CAPACITY_CHANGED = "registration.capacity_changed", _("Seats changed")
        # Exports
        ATTENDEES_EXPORTED = "export.attendees", _("Attendee list exported")
        AUDIT_EXPORTED = "export.audit", _("Audit record exported")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("action"), max_length=60)
    target_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_repr = models.CharField(_("what"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The request's id (its X-Request-ID and its log lines'), to find what else it did.
    request_id = models.CharField(_("request id"), max_length=64, blank=True, default="")
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id", "at"], name="audit_event_target")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} · {self.action} · {self.target_repr}"

    @property
    def action_label(self) -> str:
        """The action in words; an action recorded by an older version keeps its code."""
        return str(dict(self.Action.choices).get(self.action, self.action))
