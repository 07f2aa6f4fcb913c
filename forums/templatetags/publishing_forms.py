"""Form fields in the design system's markup, with their hint and error tied to the input
(aria-describedby, aria-invalid) so screen readers announce them."""

from django import template
from django.forms import BoundField

register = template.Library()

WIDGET_CLASSES = {
    "textarea": "usa-textarea",
    "select": "usa-select",
    "checkbox": "usa-checkbox__input",
    "clearablefile": "usa-file-input",
    "file": "usa-file-input",
}


@register.simple_tag
def usa_widget(field: BoundField) -> str:
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}-hint")
    if field.errors:
        described_by.append(f"{field.auto_id}-error")
    attrs = {"class": WIDGET_CLASSES.get(field.widget_type, "usa-input")}
    if field.errors:
        attrs["class"] += " usa-input--error"
        attrs["aria-invalid"] = "true"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)
