"""The forms of registering, vetting, capacity and check-in. The rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Registration

NOTE_MAX_LENGTH = Registration._meta.get_field("note").max_length
REASON_MAX_LENGTH = Registration._meta.get_field("decline_reason").max_length


class RegisterForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the secretariat"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example dietary needs or accessibility."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree to the handling of my name, organisation, e-mail address and note by the DICAS "
            "secretariat to organise this meeting."
        ),
        required=True,
        error_messages={"required": _("To register, agree to the handling of your data for this meeting.")},
    )


class DecisionForm(forms.Form):
    """Approve or decline the registrations ticked in the list (`registration`, checked by the service)."""

    ACTIONS = [("approve", _("Approve")), ("decline", _("Decline"))]

    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(
        label=_("Reason for declining (sent to each person declined)"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=100_000)


class CheckInSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Check-in code or name"),
        max_length=200,
        required=False,
        help_text=_("Scan the QR code, type the 8-character code, or part of a name or e-mail address."),
    )
