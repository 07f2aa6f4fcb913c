from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from participants.models import in_language


class WorkingGroup(models.Model):
    forum = models.ForeignKey(
        "forums.Forum", on_delete=models.CASCADE, related_name="working_groups", verbose_name=_("forum")
    )
    slug = models.SlugField(_("short name in addresses"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    focus_en = models.TextField(_("focus (English)"), blank=True)
    focus_ja = models.TextField(_("focus (Japanese)"), blank=True)
    position = models.PositiveSmallIntegerField(_("order on pages"), default=0)

    class Meta:
        ordering = ["forum", "position", "name_en"]
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        constraints = [
            models.UniqueConstraint(fields=["forum", "slug"], name="working_group_slug_unique_in_forum")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_en, self.name_ja)

    @property
    def focus(self) -> str:
        return in_language(self.focus_en, self.focus_ja)


class Membership(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        MEMBER = "member", _("Member")
        OBSERVER = "observer", _("Observer")

    working_group = models.ForeignKey(
        WorkingGroup, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("working group")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["working_group", "person"], name="membership_one_per_group_and_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.working_group}"


class ActionItem(models.Model):
    """Something a meeting's minutes asked someone to do, tracked until done or dropped."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    # The statuses still awaiting work: listed on group pages, reviewed at meetings.
    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    working_group = models.ForeignKey(
        WorkingGroup, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("working group")
    )
    meeting = models.ForeignKey(
        "forums.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("raised at meeting"),
    )
    text = models.TextField(_("action"))
    owner_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("owner (person)"),
    )
    owner_organization = models.ForeignKey(
        "participants.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("owner (organisation)"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [models.Index(fields=["working_group", "status", "due_on"], name="action_item_group_open")]
        constraints = [
            # Exactly one owner: a person, or an organisation when nobody is named yet.
            models.CheckConstraint(
                condition=(
                    models.Q(owner_person__isnull=False, owner_organization__isnull=True)
                    | models.Q(owner_person__isnull=True, owner_organization__isnull=False)
                ),
                name="action_item_one_owner",
                violation_error_message=_("Name either a person or an organisation as the owner, not both."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "in_progress", "done", "dropped"]),
                name="action_item_status_known",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today) -> bool:
        return self.is_open and self.due_on < today

    @property
    def owner_name(self) -> str:
        if self.owner_person_id:
            profile = getattr(self.owner_person, "profile", None)
            return profile.display_name if profile else self.owner_person.get_username()
        return self.owner_organization.display_name if self.owner_organization_id else ""

    def clean(self) -> None:
        if bool(self.owner_person_id) == bool(self.owner_organization_id):
            raise ValidationError(_("Name either a person or an organisation as the owner, not both."))
        if self.meeting_id and self.working_group_id and self.meeting.forum_id != self.working_group.forum_id:
            raise ValidationError({"meeting": _("The meeting belongs to another forum.")})
