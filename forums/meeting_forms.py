"""The secretariat's meeting form: every time is typed as a clock on the wall of the venue,
in the venue's zone, and turned into a moment here. A wall-clock time the zone skips (the
spring-forward gap) is refused; one it shows twice (the autumn repeat) is asked about.
Nothing is guessed. The form parses; the services decide."""

import zoneinfo
from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from participants.models import Country
from working_groups.models import WorkingGroup

from .models import Meeting

# Where the forum meets, named after the capital (an official in Washington thinks
# "Washington time"; Canberra keeps Sydney's clock), with the IANA name beside it.
VENUE_ZONES = (
    ("Asia/Tokyo", _("Tokyo")),
    ("America/New_York", _("Washington")),
    ("Pacific/Honolulu", _("Honolulu")),
    ("Australia/Sydney", _("Canberra")),
    ("Asia/Kolkata", _("New Delhi")),
    ("America/Los_Angeles", _("Los Angeles")),
    ("Europe/London", _("London")),
    ("UTC", _("UTC")),
)

WALL_CLOCK_FORMAT = "%Y-%m-%dT%H:%M"
FIRST, SECOND = "first", "second"
OCCURRENCES = ((FIRST, _("The first time")), (SECOND, _("The second time")))


def venue_zone_choices(current: str | None = None) -> list[tuple[str, str]]:
    choices = [(name, f"{place} ({name})") for name, place in VENUE_ZONES]
    if current and current not in dict(VENUE_ZONES):
        # A zone set before this list existed stays choosable for its meeting.
        choices.append((current, current))
    return choices


class WallClockWidget(forms.MultiWidget):
    """A date picker and a 24-hour time typed as HH:MM: a browser's time picker would show
    a 12-hour clock in some locales, and the portal writes times on the 24-hour clock."""

    def __init__(self, attrs=None):
        super().__init__([
            forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            forms.TextInput(attrs={
                "inputmode": "numeric", "pattern": "[0-2]?[0-9]:[0-5][0-9]", "placeholder": "10:00",
                "size": "5", "maxlength": "5", "autocomplete": "off", "class": "wall-clock__time",
                "aria-label": _("Time (24-hour clock, e.g. 14:30)"),
            }),
        ], attrs)

    def decompress(self, value):
        if isinstance(value, datetime):
            return [value.date(), value.strftime("%H:%M")]
        return [None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # The time keeps its own class beside the design system's.
        time_widget = context["widget"]["subwidgets"][1]
        time_widget["attrs"]["class"] = f"{time_widget['attrs'].get('class', '')} wall-clock__time".strip()
        return context


class WallClockField(forms.Field):
    """A date and time with no zone (the venue's zone is applied by the form): a date and
    an HH:MM, or one "YYYY-MM-DD HH:MM" text."""

    widget = WallClockWidget

    def to_python(self, value):
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, (list, tuple)):
            day, clock = (str(part or "").strip() for part in value)
            if not day and not clock:
                return None
            if not day or not clock:
                raise forms.ValidationError(_("Enter both a date and a time."), code="incomplete")
            value = f"{day} {clock}"
        if value in self.empty_values:
            return None
        text = str(value).strip()
        for pattern in ("%Y-%m-%d %H:%M", WALL_CLOCK_FORMAT, "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                continue
        raise forms.ValidationError(_("Enter a date and a time on the 24-hour clock, such as 2027-07-15 and 14:30."),
                                    code="invalid")


def wall_clock(moment: datetime | None, zone_name: str) -> datetime | None:
    """A stored moment as the venue's wall clock shows it (for the form's initial values)."""
    if moment is None:
        return None
    return moment.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)


def _exists(local: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    aware = local.replace(tzinfo=zone)
    return aware.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) == local


def _is_repeated(local: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    return local.replace(tzinfo=zone, fold=0).utcoffset() != local.replace(tzinfo=zone, fold=1).utcoffset()


def occurrence_labels(local: datetime, zone_name: str) -> tuple[str, str]:
    zone = zoneinfo.ZoneInfo(zone_name)
    first = local.replace(tzinfo=zone, fold=0).tzname()
    second = local.replace(tzinfo=zone, fold=1).tzname()
    return (
        _("the first time the clock shows it (%(zone)s)") % {"zone": first},
        _("the second time, after the clocks go back (%(zone)s)") % {"zone": second},
    )


class MeetingForm(forms.Form):
    """What the secretariat sets on a meeting; `cleaned_changes()` gives the service's fields."""

    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=Meeting.Kind.choices)
    working_group = forms.ModelChoiceField(
        label=_("Working group"), queryset=WorkingGroup.objects.order_by("position", "name_en"), required=False,
        empty_label=_("None (a meeting of the whole forum)"),
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=300)
    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=300, required=False)
    summary_en = forms.CharField(label=_("Summary (English)"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    summary_ja = forms.CharField(label=_("Summary (Japanese)"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    time_zone = forms.ChoiceField(
        label=_("Venue time zone"),
        help_text=_("Every time on this form is the venue's local time, in this zone."),
    )
    starts_at = WallClockField(label=_("Starts (venue's local time)"))
    starts_at_occurrence = forms.ChoiceField(
        label=_("Which one?"), required=False, widget=forms.RadioSelect, choices=OCCURRENCES)
    ends_at = WallClockField(label=_("Ends (venue's local time)"))
    ends_at_occurrence = forms.ChoiceField(
        label=_("Which one?"), required=False, widget=forms.RadioSelect, choices=OCCURRENCES)
    venue_en = forms.CharField(label=_("Place (English)"), max_length=300, required=False)
    venue_ja = forms.CharField(label=_("Place (Japanese)"), max_length=300, required=False)
    venue_country = forms.ModelChoiceField(label=_("Country of the venue"), queryset=Country.objects.all(),
                                           required=False)
    # Not public unless chosen: a meeting shown to the world by mistake cannot be unseen.
    visibility = forms.ChoiceField(label=_("Who may see it"), choices=Meeting.Visibility.choices,
                                   initial=Meeting.Visibility.PARTICIPANTS)
    registration_opens_at = WallClockField(
        label=_("Registration opens (venue's local time)"), required=False,
        help_text=_("Leave empty if the meeting takes no registrations (or open it later from its page)."),
    )
    registration_opens_at_occurrence = forms.ChoiceField(
        label=_("Which one?"), required=False, widget=forms.RadioSelect, choices=OCCURRENCES)
    registration_closes_at = WallClockField(
        label=_("Registration closes (venue's local time)"), required=False,
        help_text=_("Empty: when the meeting starts."),
    )
    registration_closes_at_occurrence = forms.ChoiceField(
        label=_("Which one?"), required=False, widget=forms.RadioSelect, choices=OCCURRENCES)
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, required=False,
                                  help_text=_("Empty: no limit."))
    seats_per_organization = forms.IntegerField(label=_("Seats per organisation"), min_value=1, required=False,
                                                help_text=_("Empty: no limit."))
    vetting_required = forms.BooleanField(label=_("The secretariat vets each registration"), required=False)

    TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")

    def __init__(self, *args, meeting: Meeting | None = None, **kwargs):
        if meeting is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(meeting)
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.fields["time_zone"].choices = venue_zone_choices(meeting.time_zone if meeting else None)
        self.fields["venue_country"].label_from_instance = lambda country: country.name
        self.fields["working_group"].label_from_instance = lambda group: group.name
        # Asked only when a time falls in the repeated hour (see clean), or when the
        # meeting already stands in one: then its answer is shown, checked.
        self.repeated: set[str] = set()
        if meeting is not None and not self.is_bound:
            for name in self.TIME_FIELDS:
                local = self.initial.get(name)
                if local is not None and _is_repeated(local, zoneinfo.ZoneInfo(meeting.time_zone)):
                    self._ask_which(name, local, meeting.time_zone)

    def _ask_which(self, name: str, local: datetime, zone_name: str) -> None:
        self.repeated.add(name)
        occurrence_field = self.fields[f"{name}_occurrence"]
        first, second = occurrence_labels(local, zone_name)
        occurrence_field.choices = [(FIRST, first), (SECOND, second)]
        place = dict(VENUE_ZONES).get(zone_name, zone_name)
        occurrence_field.label = _("%(time)s happens twice in %(place)s: which one?") % {
            "time": local.strftime("%Y-%m-%d %H:%M"), "place": place}

    def occurrence_fields(self):
        return [self[f"{name}_occurrence"] for name in self.TIME_FIELDS if name in self.repeated]

    def clean(self):
        data = super().clean()
        zone_name = data.get("time_zone")
        if not zone_name:
            return data
        zone = zoneinfo.ZoneInfo(zone_name)
        place = dict(VENUE_ZONES).get(zone_name, zone_name)
        for name in self.TIME_FIELDS:
            local = data.get(name)
            if local is None:
                data[name] = None
                continue
            if not _exists(local, zone):
                self.add_error(name, _(
                    "%(time)s does not exist in %(place)s: the clocks jump forward that night. "
                    "Choose a time before or after the change."
                ) % {"time": local.strftime("%Y-%m-%d %H:%M"), "place": place})
                continue
            if _is_repeated(local, zone):
                self._ask_which(name, local, zone_name)
                answer = data.get(f"{name}_occurrence")
                if answer not in (FIRST, SECOND):
                    self.add_error(f"{name}_occurrence", _(
                        "The clocks go back that night, so %(time)s happens twice in %(place)s. "
                        "Say which one you mean."
                    ) % {"time": local.strftime("%H:%M"), "place": place})
                    continue
                data[name] = local.replace(tzinfo=zone, fold=1 if answer == SECOND else 0)
            else:
                data[name] = local.replace(tzinfo=zone)
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if isinstance(starts, datetime) and isinstance(ends, datetime) and starts.tzinfo and ends.tzinfo:
            if ends <= starts:
                self.add_error("ends_at", _("A meeting must end after it starts."))
        return data

    def cleaned_changes(self) -> dict:
        """The service's keyword arguments: moments in UTC, objects for the relations."""
        data = self.cleaned_data
        changes = {name: data[name] for name in (
            "kind", "working_group", "title_en", "title_ja", "summary_en", "summary_ja", "time_zone",
            "venue_en", "venue_ja", "venue_country", "visibility", "capacity", "seats_per_organization",
            "vetting_required",
        )}
        for name in self.TIME_FIELDS:
            moment = data.get(name)
            changes[name] = moment.astimezone(zoneinfo.ZoneInfo("UTC")) if moment else None
        return changes

    def preview_rows(self) -> list[tuple[str, datetime, str]]:
        """(label, moment, venue zone) of each time set, for the confirmation step."""
        data = self.cleaned_data
        return [(self.fields[name].label, data[name], data["time_zone"]) for name in self.TIME_FIELDS
                if data.get(name)]


def initial_for(meeting: Meeting) -> dict:
    initial = {name: getattr(meeting, name) for name in (
        "kind", "title_en", "title_ja", "summary_en", "summary_ja", "time_zone", "venue_en", "venue_ja",
        "visibility", "capacity", "seats_per_organization", "vetting_required",
    )}
    initial["working_group"] = meeting.working_group_id
    initial["venue_country"] = meeting.venue_country_id
    for name in MeetingForm.TIME_FIELDS:
        moment = getattr(meeting, name)
        initial[name] = wall_clock(moment, meeting.time_zone)
        if moment is not None:
            local = moment.astimezone(zoneinfo.ZoneInfo(meeting.time_zone))
            initial[f"{name}_occurrence"] = SECOND if local.fold else FIRST
    return initial


class CancelMeetingForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the meeting page and in the notice to everyone who may see the meeting."),
        error_messages={"required": _("Say why the meeting is cancelled: everyone who may see it is told.")},
    )

