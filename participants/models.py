import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .names import refuse_control_characters
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
    # ISO 3166 alpha-3, as release markings print countries ("REL TO USA, JPN").
    trigraph = models.CharField(_("three-letter code"), max_length=3, blank=True)

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

    name = models.CharField(_("name"), max_length=200, unique=True, validators=[refuse_control_characters])
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True,
                               validators=[refuse_control_characters])
    acronym = models.CharField(_("acronym"), max_length=40, blank=True, validators=[refuse_control_characters])
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
    full_name = models.CharField(_("full name"), max_length=200, blank=True, validators=[refuse_control_characters])
    full_name_ja = models.CharField(_("name in Japanese script"), max_length=200, blank=True,
                                    validators=[refuse_control_characters])
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("organisation"),
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True, validators=[refuse_control_characters])
    role = models.CharField(_("role"), max_length=20, choices=ProfileRole.choices, default=ProfileRole.INDUSTRY)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Tokyo", validators=[validate_time_zone]
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    # The organisation the secretariat (or a verified e-mail domain) confirmed the person works
    # for: the only one access rests on. `organization` is what the person last named; while the
    # two differ, the person has no verified affiliation (participants.permissions). Written by
    # participants.affiliations only, beside the Affiliation row that says who confirmed it.
    verified_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verified_people",
        verbose_name=_("verified organisation"),
        editable=False,
    )
    # People leave their posts: an affiliation or a co-chair or secretariat role stops counting
    # after its review date, unless the secretariat renews it (told 30 days before).
    affiliation_review_on = models.DateField(_("affiliation to be reviewed by"), null=True, blank=True)
    role_review_on = models.DateField(_("role to be reviewed by"), null=True, blank=True)

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


def normalise_domain(value: str) -> str:
    return value.strip().lower().lstrip("@").rstrip(".")


def validate_domain(value: str) -> None:
    labels = value.split(".")
    if len(labels) < 2 or len(value) > 253 or not all(DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise ValidationError(_("Enter a domain such as mod.go.jp, without the @."))


DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class VerifiedDomain(models.Model):
    """An e-mail domain the secretariat has verified as an organisation's own: an address there,
    confirmed by allauth, confirms the person's affiliation without waiting for the secretariat.
    Matched exactly (atla.mod.go.jp is its own entry beside mod.go.jp)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="verified_domains", verbose_name=_("organisation")
    )
    domain = models.CharField(_("e-mail domain"), max_length=253, unique=True, validators=[validate_domain],
                              error_messages={"unique": _("This domain is already verified for an organisation.")})
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("verified e-mail domain")
        verbose_name_plural = _("verified e-mail domains")
        constraints = [
            models.CheckConstraint(condition=models.Q(domain=Lower("domain")), name="verified_domain_lower_case"),
        ]

    def __str__(self) -> str:
        return f"@{self.domain}"


class Affiliation(models.Model):
    """A person's claim to work for an organisation, and what became of it.

    At most one is current per person (pending or verified). Naming another organisation
    ends the current one and starts a pending one: nothing a person types raises their
    access. The verified one is mirrored on Profile.verified_organization, which the
    permission functions read.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        VERIFIED = "verified", _("Verified")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")

    class Method(models.TextChoices):
        SECRETARIAT = "secretariat", _("Approved by the secretariat")
        EMAIL_DOMAIN = "email_domain", _("Verified e-mail domain")
        INVITATION = "invitation", _("Invitation by the secretariat")

    CURRENT_STATUSES = (Status.PENDING, Status.VERIFIED)

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affiliations", verbose_name=_("person")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="affiliations", verbose_name=_("organisation")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    method = models.CharField(_("verified by"), max_length=20, choices=Method.choices, blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status__in=["pending", "verified"]),
                name="affiliation_one_current_per_person",
                violation_error_message=_("This person already has a current affiliation."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "verified", "declined", "ended"]),
                name="affiliation_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organization}"


def new_invitation_nonce() -> str:
    return secrets.token_urlsafe(16)


class Invitation(models.Model):
    """An account for an official, a co-chair or the secretariat, offered by the secretariat.

    The e-mail carries a signed link (participants/invitations.py) naming this row and its
    nonce; it works once (accepted_at), until expires_at, and not after a revocation. The
    role and organisation come from here, never from what the invitee posts.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the invitee")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=ProfileRole.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("organisation")
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    # The e-mail is written in this language, and the account starts in it.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("link expires"))
    # Part of the signed link: a link made for another nonce (an earlier one) does not work.
    nonce = models.CharField(max_length=40, default=new_invitation_nonce, editable=False)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("account made"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["official", "cochair", "secretariat"]),
                name="invitation_role_invitable",
                violation_error_message=_("Invitations are for officials, co-chairs and the secretariat."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    def status_at(self, now) -> str:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if now >= self.expires_at:
            return self.Status.EXPIRED
        return self.Status.PENDING


def new_enrolment_nonce() -> str:
    return secrets.token_urlsafe(24)


class EnrolmentLink(models.Model):
    """A single-use link, sent to a person's verified address, that lets them add a second
    factor when they must have one and have none: promoted to a privileged role, or their
    factor lost and removed. The password alone never enrols one (participants/mfa.py).

    The e-mail carries a signed token naming this row and its nonce (participants/enrolment.py);
    it works once (used_at), until expires_at, and not once a newer link was sent (revoked_at).
    """

    class Reason(models.TextChoices):
        PROMOTED = "promoted", _("Given a role that needs a second factor")
        ASKED = "asked", _("Asked for by the person")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links", verbose_name=_("account"),
    )
    email = models.EmailField(_("sent to"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    nonce = models.CharField(max_length=40, default=new_enrolment_nonce, editable=False)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("link expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("replaced"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("enrolment link")
        verbose_name_plural = _("enrolment links")

    def __str__(self) -> str:
        return f"{self.email} · {self.created_at:%Y-%m-%d %H:%M}"


class SecondFactorFailures(models.Model):
    """Wrong codes typed in a row after a right password: each one beyond the first few makes
    the next attempt wait longer (participants/mfa.py). A right code clears it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+",
        verbose_name=_("account"),
    )
    count = models.PositiveIntegerField(_("wrong codes in a row"), default=0)
    last_failed_at = models.DateTimeField(_("last wrong code"), null=True, blank=True)
    wait_until = models.DateTimeField(_("next attempt not before"), null=True, blank=True)

    class Meta:
        verbose_name = _("wrong second-factor codes")
        verbose_name_plural = _("wrong second-factor codes")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.count}"


class RoleGrant(models.Model):
    """A privileged role one secretariat member gave and another must approve (four eyes).

    Until approved it changes nothing: the person keeps their role. The giver never
    approves their own grant (participants.permissions.can_decide_role_grant)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="role_grants",
                                verbose_name=_("person"))
    role = models.CharField(_("role"), max_length=20, choices=ProfileRole.choices)
    previous_role = models.CharField(_("role before"), max_length=20, choices=ProfileRole.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="role_grants_requested", verbose_name=_("given by"))
    requested_at = models.DateTimeField(_("given"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="role_grants_decided", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["profile"], condition=models.Q(status="pending"), name="role_grant_one_pending_per_person",
                violation_error_message=_("A role for this person already awaits approval."),
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending") | (models.Q(decided_by__isnull=False)
                                                        & ~models.Q(decided_by=models.F("requested_by"))),
                name="role_grant_decided_by_another",
                violation_error_message=_("A role grant is decided by another member of the secretariat."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} → {self.get_role_display()} ({self.get_status_display()})"
