"""Names people give (profile, organisation, identity provider) are shown on pages and put
into e-mail headers: no control character may be part of one."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def has_control_characters(value: str) -> bool:
    # Category C*: control (CR, LF, NUL, TAB…), format (e.g. bidirectional overrides),
    # unassigned, private use and surrogates: none belongs in a person's name.
    return any(unicodedata.category(character).startswith("C") for character in value)


def without_control_characters(value: str) -> str:
    return "".join(character for character in value if not unicodedata.category(character).startswith("C"))


def refuse_control_characters(value: str) -> None:
    """Validator for every name field."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(
            _("Names cannot contain line breaks, tabs or other control characters."), code="control_characters"
        )
