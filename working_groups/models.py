from django.conf import settings
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
