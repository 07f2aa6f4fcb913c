"""Forms of the publishing pages: agenda items, minutes, papers. They parse; services decide."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from participants.models import Country, Organization
from participants.names import refuse_control_characters

from .models import MARKING_CHOICES, AgendaItem, Document


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return f"{obj.display_name} ({obj.country_id})"


class AgendaItemForm(forms.ModelForm):
    presenter_organization = OrganizationChoiceField(
        queryset=Organization.objects.filter(confirmed=True).order_by("name"),
        required=False,
        label=_("Presenting organisation"),
        help_text=_("Choose an organisation, name a person, or both."),
    )

    class Meta:
        model = AgendaItem
        fields = ["title_en", "title_ja", "presenter", "presenter_organization", "duration_minutes", "notes",
                  "reviews_action_items"]
        labels = {
            "title_en": _("Title (English)"),
            "title_ja": _("Title (Japanese)"),
            "presenter": _("Presenter (person)"),
            "duration_minutes": _("Duration (minutes)"),
            "notes": _("Notes"),
            "reviews_action_items": _("List the open action items under this item"),
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def clean_presenter(self) -> str:
        presenter = self.cleaned_data.get("presenter") or ""
        refuse_control_characters(presenter)
        return presenter


class MinutesForm(forms.Form):
    body = forms.CharField(
        label=_("Text of the minutes (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 20, "data-preview-target": "minutes-preview"}),
        help_text=_("Headings with ##, lists with - or 1., tables with | pipes |. The preview below shows how readers will see it."),
    )
    marking = forms.ChoiceField(label=_("Handling marking"), choices=MARKING_CHOICES)


class ReturnMinutesForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what should change: a comment is needed to return the minutes.")},
    )


class PaperForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    language = forms.ChoiceField(label=_("Language of the paper"), choices=settings.LANGUAGES)
    marking = forms.ChoiceField(
        label=_("Handling marking"),
        choices=Document.Marking.choices,
        initial=Document.Marking.OFFICIAL_USE_ONLY,
        help_text=_(
            "Public: anyone who may see the meeting. Official use only: government officials, or the "
            "group's members for a working group's paper. Export-controlled: members of the working "
            "group from the forum's member countries."
        ),
    )
    releasable_to = forms.MultipleChoiceField(
        label=_("Releasable to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("REL TO: only people whose verified organisation is in one of these countries may open "
                    "it. None ticked: the marking alone decides."),
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["releasable_to"].choices = [(country.code, country.name) for country in Country.objects.all()]
        self.fields["file"].help_text = _("PDF, Office document or image; at most %(limit)s.") % {
            "limit": filesizeformat(settings.PAPERS_MAX_UPLOAD_BYTES)
        }
