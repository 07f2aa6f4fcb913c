"""Form fields as the U.S. Web Design System draws them: label, hint, error, control.

Used by the portal's own forms and by allauth's pages (templates/allauth/elements/fields.html),
so every form reads the same to a screen reader: the hint and the error are tied to the
control with aria-describedby, and Django marks an invalid control with aria-invalid.
"""

from django import forms, template

register = template.Library()

WIDGET_CLASSES = {
    # A native checkbox, not USWDS's drawn one: that one hides the real input off-screen,
    # which browser automation (and some magnifiers) cannot reach.
    "checkbox": "portal-checkbox__input",
    "select": "usa-select",
    "textarea": "usa-textarea",
    "input": "usa-input",
}


def widget_kind(field: forms.BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


@register.inclusion_tag("participants/_form_field.html")
def form_field(field: forms.BoundField, hide_optional: bool = False) -> dict:
    kind = widget_kind(field)
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
    attrs = {"class": WIDGET_CLASSES[kind]}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return {
        "field": field,
        "kind": kind,
        "widget": field.as_widget(attrs=attrs),
        "optional": not field.field.required and kind != "checkbox" and not hide_optional,
    }
