"""Every state change the forums app offers: one function per action, one transaction each.

Split by subject; import from here (`from forums import services`).
"""

from .meetings import (  # noqa: F401
    CALENDAR_FIELDS,
    bump_sequence_if_calendar_changed,
    cancel_meeting,
    create_meeting,
    duplicate_meeting,
    mark_meeting_held,
    open_registration,
    postpone_meeting,
    publish_meeting,
    update_meeting,
)
from .agenda import add_agenda_item, move_agenda_item, publish_agenda, remove_agenda_item, update_agenda_item  # noqa: F401,E501
from .minutes import approve_minutes, publish_minutes, return_minutes, save_minutes_draft, start_amendment, start_minutes, submit_minutes  # noqa: F401,E501
from .papers import add_paper  # noqa: F401
from .registrations import (  # noqa: F401
    RegistrationOutcome,
    RegistrationRefused,
    approve_registrations,
    cancel_registration,
    change_capacity,
    check_in,
    decline_registrations,
    register,
)
