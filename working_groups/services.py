"""Every state change of action items: one function per action, keyword-only, one transaction each."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from forums.models import Meeting
from notifications.models import Dispatch
from notifications.services import record_dispatch
from participants.models import Organization

from .models import ActionItem, WorkingGroup
from .permissions import can_record_action_items, statuses_settable_by


def record_action_item(
    *,
    by,
    working_group: WorkingGroup,
    text: str,
    due_on: date,
    owner_person=None,
    owner_organization: Organization | None = None,
    meeting: Meeting | None = None,
) -> ActionItem:
    """Records an action item raised at `meeting` (optional) for `working_group`.

    Side effects: one ActionItem row; an ACTION_ITEM_ASSIGNED Dispatch, to the owner when
    a person owns it, otherwise to the group's members (with the organisation in the context).
    Raises PermissionDenied (not the secretariat) or ValidationError (no owner, two owners, …).
    """
    if not can_record_action_items(by):
        raise PermissionDenied(_("Only the secretariat records action items."))
    item = ActionItem(
        working_group=working_group,
        meeting=meeting,
        text=text.strip(),
        due_on=due_on,
        owner_person=owner_person,
        owner_organization=owner_organization,
        created_by=by,
    )
    item.full_clean()
    with transaction.atomic():
        item.save()
        record_dispatch(
            event=Dispatch.Event.ACTION_ITEM_ASSIGNED,
            target=item,
            audience=Dispatch.Audience.PERSON if owner_person is not None else Dispatch.Audience.GROUP_MEMBERS,
            person=owner_person,
            context={
                "working_group_id": working_group.pk,
                "meeting_id": meeting.pk if meeting is not None else None,
                "owner_organization_id": owner_organization.pk if owner_organization is not None else None,
                "due_on": due_on.isoformat(),
            },
        )
    return item


def set_action_item_status(*, item: ActionItem, by, status: str) -> ActionItem:
    """Moves an item to `status` (open, in progress, done, dropped).

    Side effects: the ActionItem row. The secretariat may set any status; an owner (the
    person, or someone of the owning organisation) may set open, in progress or done.
    Raises PermissionDenied otherwise, ValidationError for an unknown status.
    """
    if status not in ActionItem.Status.values:
        raise ValidationError(_("Unknown status."))
    if status not in statuses_settable_by(by, item):
        raise PermissionDenied(_("You may not set this action item to that status."))
    with transaction.atomic():
        stored = ActionItem.objects.select_for_update().get(pk=item.pk)
        stored.status = status
        stored.save(update_fields=["status", "updated_at"])
    item.status, item.updated_at = stored.status, stored.updated_at
    return item
