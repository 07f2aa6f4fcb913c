import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from participants.models import Country, Organization, in_language
from participants.timezones import validate_time_zone


class Forum(models.Model):
    name = models.CharField(_("name (English)"), max_length=300)
    name_ja = models.CharField(_("name (Japanese)"), max_length=300, blank=True)
    acronym = models.CharField(_("acronym"), max_length=20, unique=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    terms_of_reference = models.ForeignKey(
        "forums.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("terms of reference"),
    )
    countries = models.ManyToManyField(
        Country, through="ForumCountry", related_name="forums", verbose_name=_("countries")
    )

    class Meta:
        verbose_name = _("forum")
        verbose_name_plural = _("forums")

    def __str__(self) -> str:
        return self.acronym

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_ja)

    @property
    def description(self) -> str:
        return in_language(self.description_en, self.description_ja)


class ForumCountry(models.Model):
    class Standing(models.TextChoices):
        MEMBER = "member", _("Member")
        OBSERVER = "observer", _("Observer")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="country_standings")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, verbose_name=_("country"))
    standing = models.CharField(_("standing"), max_length=10, choices=Standing.choices)

    class Meta:
        verbose_name = _("participating country")
        verbose_name_plural = _("participating countries")
        constraints = [
            models.UniqueConstraint(fields=["forum", "country"], name="forum_country_once")
        ]

    def __str__(self) -> str:
        return f"{self.country} ({self.get_standing_display()})"


class CoChair(models.Model):
    """A co-chair is an office, not a person: the holder changes, the office stays."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="cochairs")
    office_en = models.CharField(_("office (English)"), max_length=300)
    office_ja = models.CharField(_("office (Japanese)"), max_length=300, blank=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, verbose_name=_("country"))
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cochair_offices",
        verbose_name=_("account of the office holder"),
    )
    # The government organisation the office belongs to (OUSD(A&S), ATLA): co-chairs whose
    # verified affiliation is with it are cleared for every group's export-controlled
    # minutes and papers (forums.permissions.PaperClearance), when the country is a member.
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="cochair_offices",
        verbose_name=_("organisation of the office"),
    )

    class Meta:
        ordering = ["country"]
        verbose_name = _("co-chair")
        verbose_name_plural = _("co-chairs")
        constraints = [
            models.UniqueConstraint(fields=["forum", "country"], name="cochair_one_per_country")
        ]

    def __str__(self) -> str:
        return self.office

    @property
    def office(self) -> str:
        return in_language(self.office_en, self.office_ja)


def new_calendar_uid_part() -> str:
    """The random part of a meeting's calendar UID (the domain after "@" is a setting)."""
    return secrets.token_hex(16)


class Meeting(models.Model):
    class Kind(models.TextChoices):
        PLENARY = "plenary", _("Plenary")
        PREPARATORY = "preparatory", _("Preparatory meeting")
        ROUNDTABLE = "roundtable", _("Industry roundtable")
        WORKING_GROUP = "working_group", _("Working-group meeting")
        INDUSTRY_DAY = "industry_day", _("Industry day")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        POSTPONED = "postponed", _("Postponed")
        CANCELLED = "cancelled", _("Cancelled")
        HELD = "held", _("Held")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        PARTICIPANTS = "participants", _("All participants")
        GROUP_MEMBERS = "group_members", _("Working-group members")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("forum"))
    working_group = models.ForeignKey(
        "working_groups.WorkingGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("working group"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_ja = models.TextField(_("summary (Japanese)"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(
        _("venue time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("IANA name, e.g. Asia/Tokyo or America/New_York."),
    )
    venue_en = models.CharField(_("venue (English)"), max_length=300, blank=True)
    venue_ja = models.CharField(_("venue (Japanese)"), max_length=300, blank=True)
    venue_country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("country of venue")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.PARTICIPANTS
    )
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    seats_per_organization = models.PositiveSmallIntegerField(
        _("seats per organisation"), null=True, blank=True
    )
    vetting_required = models.BooleanField(_("registrations vetted by the secretariat"), default=False)
    # Shown on the meeting page and in the cancellation notice to everyone who may see the meeting.
    cancellation_reason = models.TextField(_("reason for cancelling"), blank=True)
    # Calendar programs replace an event only when its SEQUENCE grows.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # Calendar programs recognise the event in every later download and invitation by its UID:
    # made once and stored, never derived from the id (another installation has the same ids).
    # Unique: a copy of the row (a duplicated meeting) must get a part of its own.
    calendar_uid_part = models.CharField(
        _("calendar identifier"), max_length=32, unique=True, editable=False, default=new_calendar_uid_part
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            # The schedule's order (start, then id) read straight from the index, first page first.
            models.Index(fields=["starts_at", "id"], name="meeting_starts_at_id"),
            # The same for visitors, who see public meetings only (the busiest listing).
            models.Index(fields=["visibility", "starts_at", "id"], name="meeting_visibility_starts_at"),
            # "Not over yet": the next meeting to end (when the schedule's pages change).
            models.Index(fields=["ends_at"], name="meeting_ends_at"),
            # The longest meeting's length, which bounds the start of those not over yet
            # (forums.selectors.ending_at_or_after).
            models.Index(models.F("ends_at") - models.F("starts_at"), name="meeting_length"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start",
                violation_error_message=_("A meeting must end after it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(registration_opens_at__isnull=True)
                | models.Q(registration_closes_at__isnull=True)
                | models.Q(registration_closes_at__gt=models.F("registration_opens_at")),
                name="meeting_registration_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=~models.Q(visibility="group_members") | models.Q(working_group__isnull=False),
                name="meeting_group_visibility_needs_group",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gt=0),
                name="meeting_capacity_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(seats_per_organization__isnull=True) | models.Q(seats_per_organization__gt=0),
                name="meeting_seats_per_organization_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forums:meeting_detail", args=[self.pk])

    @property
    def title(self) -> str:
        return in_language(self.title_en, self.title_ja)

    @property
    def summary(self) -> str:
        return in_language(self.summary_en, self.summary_ja)

    @property
    def venue(self) -> str:
        return in_language(self.venue_en, self.venue_ja)

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("A meeting must end after it starts.")
        if (
            self.registration_opens_at
            and self.registration_closes_at
            and self.registration_closes_at <= self.registration_opens_at
        ):
            errors["registration_closes_at"] = _("Registration must close after it opens.")
        if self.visibility == self.Visibility.GROUP_MEMBERS and not self.working_group_id:
            errors["visibility"] = _("Only a meeting of a working group can be limited to its members.")
        if self.working_group_id and self.forum_id and self.working_group.forum_id != self.forum_id:
            errors["working_group"] = _("The working group belongs to another forum.")
        if errors:
            raise ValidationError(errors)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(_("position"))
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, blank=True)
    presenter = models.CharField(_("presenter"), max_length=200, blank=True)
    presenter_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("presenting organisation")
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    notes = models.TextField(_("notes"), blank=True)
    # An item such as "Review of action items": the meeting page lists the group's open
    # action items under it, as they stand when the page is read.
    reviews_action_items = models.BooleanField(_("lists the open action items"), default=False)

    class Meta:
        ordering = ["meeting", "position"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "position"],
                name="agenda_item_position_unique",
                violation_error_message=_("Another item of this meeting's agenda already has this position."),
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1, duration_minutes__lte=24 * 60),
                name="agenda_item_duration_in_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    @property
    def title(self) -> str:
        return in_language(self.title_en, self.title_ja)


class AgendaVersion(models.Model):
    """A published agenda, frozen: readers see the latest one, never the draft items.

    `items` is a snapshot of the AgendaItem rows at publication (see
    forums.services.agenda.snapshot_items); `changes` says what differs from the version
    before (added, removed, moved, retimed, edited), empty for the first version.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_versions")
    number = models.PositiveSmallIntegerField(_("version"))
    items = models.JSONField(_("items"), default=list)
    changes = models.JSONField(_("changes since the previous version"), default=dict, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published"))
    # The items' titles in both languages as published: what the schedule's text filter
    # searches, so that it never reaches the draft items (forums.filters).
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["meeting", "-number"]
        verbose_name = _("agenda version")
        verbose_name_plural = _("agenda versions")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "number"],
                name="agenda_version_number_unique",
                violation_error_message=_("This version of the agenda has already been published."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · agenda v{self.number}"

    @staticmethod
    def search_text_of(items: list[dict]) -> str:
        return "\n".join(title for item in items for title in (item.get("title_en"), item.get("title_ja")) if title)

    def save(self, *args, **kwargs) -> None:
        self.search_text = self.search_text_of(self.items)
        super().save(*args, **kwargs)


# The handling markings of papers, shared by the minutes (Document.Marking is declared below).
MARKING_CHOICES = [
    ("public", _("Public")),
    ("official_use_only", _("Official use only")),
    ("export_controlled", _("Export-controlled")),
]


class Minutes(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    body = models.TextField(_("text (Markdown)"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Printed in the header and footer of the printable minutes; readers need the same
    # clearance as for a paper with this marking.
    marking = models.CharField(
        _("handling marking"), max_length=20, choices=MARKING_CHOICES, default="public"
    )
    # Who moved the text along and when (simple-history keeps every intermediate state too).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("started by"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("sent for approval by"),
    )
    submitted_at = models.DateTimeField(_("sent for approval"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("returned by"),
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    return_comment = models.TextField(_("comment on return"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "version"]
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="minutes_version_unique"),
            # One text in the making at a time: an amendment waits until the last one is published.
            models.UniqueConstraint(
                fields=["meeting"],
                condition=~models.Q(status="published"),
                name="minutes_one_unpublished_version",
                violation_error_message=_("These minutes already have a version in the making."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · v{self.version}"


def document_upload_path(document: "Document", filename: str) -> str:
    return f"papers/{document.forum_id}/{filename}"


class Document(models.Model):
    class Marking(models.TextChoices):
        PUBLIC = "public", _("Public")
        OFFICIAL_USE_ONLY = "official_use_only", _("Official use only")
        EXPORT_CONTROLLED = "export_controlled", _("Export-controlled")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="documents")
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="documents", verbose_name=_("meeting")
    )
    working_group = models.ForeignKey(
        "working_groups.WorkingGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("working group"),
    )
    title = models.CharField(_("title"), max_length=300)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    file = models.FileField(_("file"), upload_to=document_upload_path)
    marking = models.CharField(
        _("handling marking"), max_length=20, choices=Marking.choices, default=Marking.OFFICIAL_USE_ONLY
    )
    # "REL TO USA, JPN": the ISO codes of the countries the paper may be released to. Empty:
    # the marking alone decides. Read by forums.permissions.PaperClearance.
    releasable_to = models.JSONField(_("releasable to"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meeting__isnull=True) | models.Q(working_group__isnull=True),
                name="document_belongs_to_meeting_or_group",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.meeting_id and self.working_group_id:
            raise ValidationError(_("A paper belongs to a meeting or to a working group, not both."))
        if self.releasable_to and self.marking == self.Marking.PUBLIC:
            raise ValidationError({"releasable_to": _("A public paper is releasable to everyone: name no countries.")})

    @property
    def release_line(self) -> str:
        """The countries as a marking prints them: "REL TO USA, JPN"."""
        if not self.releasable_to:
            return ""
        trigraphs = dict(Country.objects.filter(code__in=self.releasable_to).values_list("code", "trigraph"))
        return "REL TO " + ", ".join(trigraphs.get(code) or code for code in self.releasable_to)


def new_checkin_code() -> str:
    # No 0/O or 1/I: the code is read aloud and typed at the door.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting vetting")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("person")
    )
    # The organisation at the time of registering: the per-organisation limit counts it.
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("organisation")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(_("note (dietary, accessibility)"), max_length=500, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    consent_given_at = models.DateTimeField(_("consent to data handling given"), null=True, blank=True)
    # Shown as a QR code on the person's page and in the confirmation e-mail; scanned at the door.
    checkin_code = models.CharField(_("check-in code"), max_length=16, unique=True, default=new_checkin_code)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["meeting", "created_at", "pk"]
        indexes = [models.Index(fields=["meeting", "status", "created_at"], name="registration_queue")]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "person"],
                name="registration_one_per_meeting_and_person",
                violation_error_message=_("This person is already registered for this meeting."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.meeting}"

