"""Forms of the working-group pages. They parse; services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from participants.models import Organization

from .models import ActionItem, WorkingGroup


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        profile = getattr(obj, "profile", None)
        if profile is None:
            return obj.get_username()
        organization = f" · {profile.organization.display_name}" if profile.organization_id else ""
        return f"{profile.display_name}{organization}"


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return obj.display_name


class ActionItemForm(forms.Form):
    text = forms.CharField(label=_("Action"), widget=forms.Textarea(attrs={"rows": 3}))
    working_group = forms.ModelChoiceField(queryset=WorkingGroup.objects.none(), label=_("Working group"))
    owner_person = PersonChoiceField(
        queryset=get_user_model().objects.filter(profile__isnull=False, is_active=True)
        .select_related("profile__organization")
        .order_by("profile__full_name", "pk"),
        required=False,
        label=_("Owner (person)"),
    )
    owner_organization = OrganizationChoiceField(
        queryset=Organization.objects.filter(confirmed=True).order_by("name"),
        required=False,
        label=_("Owner (organisation)"),
        help_text=_("Name a person, or an organisation when nobody is named yet — not both."),
    )
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, forum_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["working_group"].queryset = WorkingGroup.objects.filter(forum_id=forum_id)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("owner_person")) == bool(cleaned.get("owner_organization")):
            raise forms.ValidationError(_("Name either a person or an organisation as the owner, not both."))
        return cleaned


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionItem.Status.choices)
