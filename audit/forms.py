"""The audit page's filters, parsed from the query string (a filtered view is a link)."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who (e-mail contains)"), max_length=254, required=False)
    action = forms.ChoiceField(
        label=_("What"), required=False, choices=[("", _("Every action")), *AuditEvent.Action.choices]
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ip = forms.GenericIPAddressField(label=_("From the address"), required=False)

    def _clean_date(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise forms.ValidationError(
                _("Choose a date between %(first)s and %(last)s."), params={"first": EARLIEST_YEAR, "last": LATEST_YEAR}
            )
        return value

    def clean_start(self) -> date | None:
        return self._clean_date("start")

    def clean_end(self) -> date | None:
        return self._clean_date("end")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the date range is before its start."))
        return data

    def valid_filters(self) -> dict:
        """The filters that were understood; a bad one is reported and left out."""
        self.is_valid()
        return {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if value not in (None, "") and name not in self.errors
        }
