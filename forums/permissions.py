"""May this person see or change this meeting or paper? Views, feeds and notices all ask here."""

from collections.abc import Iterable

from django.db.models import Q

from participants.permissions import Role, is_participant, is_secretariat, role_of, sees_every_meeting
from working_groups.models import Membership

from .models import Document, ForumCountry, Meeting

GOVERNMENT_ROLES = frozenset({Role.OFFICIAL, Role.COCHAIR})


def _group_ids_of(user) -> set[int]:
    if not is_participant(user):
        return set()
    return set(Membership.objects.filter(person=user).values_list("working_group_id", flat=True))


def visible_meetings_filter(user) -> Q:
    """The condition on Meeting rows that `user` may see, for use in one query."""
    if is_secretariat(user):
        return Q()
    not_draft = ~Q(status=Meeting.Status.DRAFT)
    if sees_every_meeting(user):
        return not_draft
    if not is_participant(user):
        return not_draft & Q(visibility=Meeting.Visibility.PUBLIC)
    their_groups = Membership.objects.filter(person=user).values("working_group_id")
    return not_draft & (
        Q(visibility__in=[Meeting.Visibility.PUBLIC, Meeting.Visibility.PARTICIPANTS])
        | Q(visibility=Meeting.Visibility.GROUP_MEMBERS, working_group_id__in=their_groups)
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
    return meeting.working_group_id in _group_ids_of(user)


def can_manage_meeting(user, meeting: Meeting) -> bool:
    return is_secretariat(user)


class PaperClearance:
    """What one person may download, worked out once for a whole list of papers."""

    def __init__(self, user):
        self.user = user
        self.role = role_of(user)
        self.group_ids = _group_ids_of(user)
        profile = getattr(user, "profile", None) if is_participant(user) else None
        self.country_code = profile.organization.country_id if profile and profile.organization_id else None
        self._member_countries: dict[int, set[str]] = {}

    def _is_member_country(self, forum_id: int) -> bool:
        if forum_id not in self._member_countries:
            self._member_countries[forum_id] = set(
                ForumCountry.objects.filter(forum_id=forum_id, standing=ForumCountry.Standing.MEMBER)
                .values_list("country_id", flat=True)
            )
        return self.country_code in self._member_countries[forum_id]

    def may_download(self, document: Document) -> bool:
        if is_secretariat(self.user):
            return True
        group_id = document.working_group_id or (document.meeting.working_group_id if document.meeting_id else None)
        if document.meeting_id and not can_view_meeting(self.user, document.meeting):
            return False
        if document.marking == Document.Marking.PUBLIC:
            return True
        if document.marking == Document.Marking.OFFICIAL_USE_ONLY:
            return self.role in GOVERNMENT_ROLES or group_id in self.group_ids
        # Export-controlled: members of that working group from the forum's member countries.
        return group_id is not None and group_id in self.group_ids and self._is_member_country(document.forum_id)

    def filter(self, documents: Iterable[Document]) -> list[Document]:
        return [document for document in documents if self.may_download(document)]


def can_download_document(user, document: Document) -> bool:
    return PaperClearance(user).may_download(document)
