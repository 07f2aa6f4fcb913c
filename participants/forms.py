"""Forms of the participants app: the profile step after sign-up."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Country, Organization, Profile
from .names import refuse_control_characters
from .timezones import COMMON_TIME_ZONES, available_time_zones


def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The forum's usual zones first, then every other IANA zone."""
    others = sorted(available_time_zones() - set(COMMON_TIME_ZONES))
    return [
        (_("Common"), [(zone, zone) for zone in COMMON_TIME_ZONES]),
        (_("All time zones"), [(zone, zone) for zone in others]),
    ]


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, organization: Organization) -> str:
        return f"{organization.display_name} ({organization.country.name})"


class ProfileDetailsForm(forms.Form):
    """Who the person is. The role is not here: self sign-up gives the industry role only."""

    full_name = forms.CharField(label=_("Full name"), max_length=200, validators=[refuse_control_characters])
    full_name_ja = forms.CharField(
        label=_("Name in Japanese script"),
        max_length=200,
        required=False,
        validators=[refuse_control_characters],
        help_text=_("As it should appear on Japanese badges and lists, e.g. 山田 太郎."),
    )
    organization = OrganizationChoiceField(
        label=_("Organisation"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("— Choose —"),
        help_text=_("Organisations confirmed by the secretariat. If yours is not on the list, name it in the next field."),
    )
    new_organization = forms.CharField(
        label=_("Organisation not on the list"),
        max_length=200,
        required=False,
        validators=[refuse_control_characters],
        help_text=_("Its full legal name. The secretariat confirms new organisations before they appear on the list."),
    )
    country = forms.ModelChoiceField(
        label=_("Country"),
        queryset=Country.objects.all(),
        required=False,
        empty_label=_("— Choose —"),
        help_text=_("Where your organisation is based. Needed for an organisation not on the list."),
    )
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False,
                                validators=[refuse_control_characters])
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    def __init__(self, *args, role: str = Profile.Role.INDUSTRY, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = Organization.objects.filter(confirmed=True).select_related("country").order_by("name")
        if role == Profile.Role.INDUSTRY:
            # An industry representative speaks for a company or a university, not a ministry.
            organizations = organizations.exclude(kind=Organization.Kind.GOVERNMENT)
        self.fields["organization"].queryset = organizations

    @classmethod
    def initial_for(cls, profile: Profile | None, *, language: str, time_zone: str) -> dict:
        if profile is None:
            return {"preferred_language": language, "time_zone": time_zone}
        organization = profile.organization
        initial = {
            "full_name": profile.full_name,
            "full_name_ja": profile.full_name_ja,
            "job_title": profile.job_title,
            "preferred_language": profile.preferred_language,
            "time_zone": profile.time_zone,
        }
        if organization is not None and organization.confirmed:
            initial["organization"] = organization.pk
        elif organization is not None:
            # Still awaiting confirmation: shown as the request it is.
            initial["new_organization"] = organization.name
            initial["country"] = organization.country_id
        return initial

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your full name."))
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        organization: Organization | None = cleaned.get("organization")
        new_name = (cleaned.get("new_organization") or "").strip()
        country: Country | None = cleaned.get("country")
        cleaned["new_organization"] = new_name
        if organization and new_name:
            self.add_error(
                "new_organization",
                _("Choose an organisation from the list or name one that is not on it, not both."),
            )
        elif not organization and not new_name:
            self.add_error("organization", _("Choose your organisation, or name it below if it is not on the list."))
        elif organization and country and country.pk != organization.country_id:
            self.add_error(
                "country",
                _(
                    "%(organization)s is registered in %(country)s. Leave the country empty, or name your "
                    "organisation below if yours is a branch in another country."
                )
                % {"organization": organization.display_name, "country": organization.country.name},
            )
        elif new_name:
            listed = Organization.objects.filter(name__iexact=new_name, confirmed=True).first()
            if listed is not None:
                self.add_error(
                    "new_organization",
                    _("%(organization)s is already on the list: choose it there.") % {"organization": listed.name},
                )
            elif country is None:
                self.add_error("country", _("Choose the country where your organisation is based."))
        return cleaned
