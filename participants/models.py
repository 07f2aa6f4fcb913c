import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .timezones import validate_time_zone


def in_language(english: str, japanese: str) -> str:
    """The Japanese text under a Japanese interface, falling back to English."""
    if japanese and (get_language() or "").startswith("ja"):
        return japanese
    return english


class Country(models.Model):
    """Countries are data: the forum may widen to Australia, India and others."""

    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z]{2}$"), name="country_code_two_capitals"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_en, self.name_ja)


class Organization(models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        INDUSTRY = "industry", _("Industry")
        ACADEMIA = "academia", _("Academia")

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, verbose_name=_("country"))
    # Organisations asked for at sign-up wait for the secretariat's confirmation.
    confirmed = models.BooleanField(_("confirmed by the secretariat"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_ja)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class ProfileRole(models.TextChoices):
    INDUSTRY = "industry", _("Industry representative")
    OFFICIAL = "official", _("Official")
    COCHAIR = "cochair", _("Co-chair")
    SECRETARIAT = "secretariat", _("Secretariat")
    ADMINISTRATOR = "administrator", _("Administrator")


class Profile(models.Model):
    Role = ProfileRole

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    full_name_ja = models.CharField(_("name in Japanese script"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("organisation"),
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ProfileRole.choices, default=ProfileRole.INDUSTRY)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Tokyo", validators=[validate_time_zone]
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=ProfileRole.values),
                name="profile_role_known",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.full_name, self.full_name_ja) or self.user.get_username()

    @property
    def country(self) -> Country | None:
        return self.organization.country if self.organization else None
