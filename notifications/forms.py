from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, NotificationPreference


class PreferencesForm(forms.Form):
    """One choice per category: send each notice, gather them in the morning digest, or none."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Category.choices:
            self.fields[value] = forms.ChoiceField(
                label=label,
                choices=NotificationPreference.Mode.choices,
                widget=forms.RadioSelect,
                help_text=_("Notices about your own registrations are always sent at once, whatever you choose here.")
                if value == Category.REGISTRATIONS else "",
            )
