"""Forms for accounts: invitations, accepting one, role changes, signing out everywhere.

None of them lets a person touch their own role: the invitee's role comes from the
signed invitation, and the role form is only ever shown for someone else's profile.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.utils.translation import gettext_lazy as _

from .models import Invitation, Organization, Profile
from .names import refuse_control_characters

# Accounts are named by their address, and Django's usernames stop at 150 characters.
EMAIL_MAX_LENGTH = 150


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(label=_("Role"))
    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), empty_label=_("— Choose —")
    )
    full_name = forms.CharField(
        label=_("Full name"), max_length=200, required=False, validators=[refuse_control_characters],
        help_text=_("Optional: filled in for the invitee, who may correct it."),
    )
    language = forms.ChoiceField(label=_("Language of the e-mail"), choices=settings.LANGUAGES)

    def __init__(self, *args, roles: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Profile.Role.choices)
        self.fields["role"].choices = [("", _("— Choose —")), *[(role, labels[role]) for role in roles]]
        self.fields["organization"].queryset = (
            Organization.objects.filter(confirmed=True).select_related("country").order_by("name")
        )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, validators=[refuse_control_characters])
    full_name_ja = forms.CharField(label=_("Name in Japanese script"), max_length=200, required=False,
                                   validators=[refuse_control_characters])
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False,
                                validators=[refuse_control_characters])
    password1 = forms.CharField(
        label=_("Password"), strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"), strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, invitation: Invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your full name."))
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            # The address and name the account will have, for the "too similar" rule.
            User = get_user_model()
            candidate = User(username=self.invitation.email, email=self.invitation.email,
                             first_name=cleaned.get("full_name", ""))
            try:
                validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("New role"))

    def __init__(self, *args, roles: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Profile.Role.choices)
        self.fields["role"].choices = [(role, labels[role]) for role in roles]


class SignOutEverywhereForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or e-mail"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), required=False,
                             choices=[("", _("All roles")), *Profile.Role.choices])
