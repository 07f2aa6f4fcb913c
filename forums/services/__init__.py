"""Every state change the forums app offers: one function per action, one transaction each.

Split by subject; import from here (`from forums import services`).
"""

from .meetings import (  # noqa: F401
    CALENDAR_FIELDS,
    bump_sequence_if_calendar_changed,
    cancel_meeting,
    postpone_meeting,
    update_meeting,
)
