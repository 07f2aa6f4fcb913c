"""The schedule's filters: parsed from the query string, so a filtered view is a shareable link."""

from datetime import date, datetime, time

from django import forms
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import Country
from working_groups.models import WorkingGroup

from .models import AgendaVersion, Meeting

MAX_TEXT_LENGTH = 200
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


class ScheduleFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Text"), required=False, max_length=MAX_TEXT_LENGTH, strip=True,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    group = forms.ModelChoiceField(
        label=_("Working group"), queryset=WorkingGroup.objects.all(), to_field_name="slug",
        required=False, empty_label=_("All working groups"),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Meeting.Kind.choices], required=False)
    country = forms.ModelChoiceField(
        label=_("Country of venue"), queryset=Country.objects.all(), to_field_name="code",
        required=False, empty_label=_("All countries"),
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "usa-select" if is_select else "usa-input"

    def clean_q(self) -> str:
        text = self.cleaned_data["q"]
        if "\x00" in text:
            raise forms.ValidationError(_("The text contains a character that cannot be searched for."))
        return text

    def _clean_date(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise forms.ValidationError(
                _("Choose a date between %(first)s and %(last)s."),
                params={"first": EARLIEST_YEAR, "last": LATEST_YEAR},
            )
        return value

    def clean_start(self) -> date | None:
        return self._clean_date("start")

    def clean_end(self) -> date | None:
        return self._clean_date("end")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the date range is before its start."))
        return data

    def valid_filters(self) -> dict:
        """The filters that were understood; a bad one is reported and left out, never fatal."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items()
                if value not in (None, "") and name not in self.errors}

    @property
    def is_filtered(self) -> bool:
        return bool(self.valid_filters())


def _day_bounds(day: date, *, end_of_day: bool) -> datetime:
    moment = datetime.combine(day, time.max if end_of_day else time.min)
    return timezone.make_aware(moment, timezone.get_current_timezone())


def apply_schedule_filters(meetings: QuerySet[Meeting], filters: dict) -> QuerySet[Meeting]:
    if group := filters.get("group"):
        meetings = meetings.filter(working_group=group)
    if kind := filters.get("kind"):
        meetings = meetings.filter(kind=kind)
    if country := filters.get("country"):
        meetings = meetings.filter(venue_country=country)
    if start := filters.get("start"):
        meetings = meetings.filter(ends_at__gte=_day_bounds(start, end_of_day=False))
    if end := filters.get("end"):
        meetings = meetings.filter(starts_at__lte=_day_bounds(end, end_of_day=True))
    if text := filters.get("q"):
        # The published agenda only, as readers see it (its latest version): never the draft
        # items, whose titles a visitor could otherwise recover a letter at a time.
        latest = AgendaVersion.objects.filter(meeting=OuterRef("meeting")).order_by("-number").values("number")[:1]
        matching_agenda = (
            AgendaVersion.objects.filter(search_text__icontains=text)
            .annotate(latest=Subquery(latest)).filter(number=F("latest")).values("meeting_id")
        )
        meetings = meetings.filter(
            Q(title_en__icontains=text) | Q(title_ja__icontains=text) | Q(pk__in=matching_agenda)
        )
    return meetings
