"""Forms of the secretariat's affiliation pages: a decision on a request, a renewal, a domain."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .affiliations import DECLINE_REASON_LENGTH
from .models import Organization, normalise_domain, validate_domain


class ReviewDateForm(forms.Form):
    review_on = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: one year from today. The secretariat is told 30 days before."),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason, told to the person"), max_length=DECLINE_REASON_LENGTH)


class VerifiedDomainForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), empty_label=_("— Choose —")
    )
    domain = forms.CharField(
        label=_("E-mail domain"), max_length=253,
        help_text=_("Exactly as after the @, e.g. mod.go.jp. A subdomain (atla.mod.go.jp) is an entry of its own."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (
            Organization.objects.filter(confirmed=True).select_related("country").order_by("name")
        )

    def clean_domain(self) -> str:
        domain = normalise_domain(self.cleaned_data["domain"])
        validate_domain(domain)
        return domain
