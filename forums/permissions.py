"""May this person see or change this meeting? Views, feeds and notices all ask here."""

from django.db.models import Q

from participants.permissions import is_participant, is_secretariat, sees_every_meeting

from .models import Meeting


def visible_meetings_filter(user) -> Q:
    """The condition on Meeting rows that `user` may see, for use in one query."""
    if is_secretariat(user):
        return Q()
    not_draft = ~Q(status=Meeting.Status.DRAFT)
    if sees_every_meeting(user):
        return not_draft
    if not is_participant(user):
        return not_draft & Q(visibility=Meeting.Visibility.PUBLIC)
    return not_draft & (
        Q(visibility__in=[Meeting.Visibility.PUBLIC, Meeting.Visibility.PARTICIPANTS])
        | Q(visibility=Meeting.Visibility.GROUP_MEMBERS, working_group__memberships__person=user)
    )


def can_view_meeting(user, meeting: Meeting) -> bool:
    if is_secretariat(user):
        return True
    if meeting.status == Meeting.Status.DRAFT:
        return False
    if meeting.visibility == Meeting.Visibility.PUBLIC or sees_every_meeting(user):
        return True
    if not is_participant(user):
        return False
    if meeting.visibility == Meeting.Visibility.PARTICIPANTS:
        return True
    return meeting.working_group.memberships.filter(person=user).exists()


def can_manage_meeting(user, meeting: Meeting) -> bool:
    return is_secretariat(user)
