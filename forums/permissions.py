"""May this person see or change this meeting or paper? Views, feeds and notices all ask here."""

from collections.abc import Iterable

from django.db.models import Q
from django.utils.functional import cached_property

from participants.models import Organization
from participants.permissions import (
    Role,
    is_cochair,
    is_participant,
    is_secretariat,
    role_of,
    sees_every_meeting,
    verified_organization_id,
)
from working_groups.models import Membership

from .models import CoChair, Document, ForumCountry, Meeting, Minutes

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


def can_view_meeting(user, meeting: Meeting, *, group_ids: set[int] | None = None) -> bool:
    """`group_ids`: the person's working groups when the caller has them already (a list
    of papers asks for each paper's meeting, and must not query the memberships each time)."""
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
    return meeting.working_group_id in (_group_ids_of(user) if group_ids is None else group_ids)


def can_manage_meeting(user, meeting: Meeting) -> bool:
    """Edit, publish, open registration, postpone, cancel, mark held, duplicate."""
    return is_secretariat(user)


def can_create_meeting(user) -> bool:
    return is_secretariat(user)


class PaperClearance:
    """What one person may download, worked out once for a whole list of papers.

    The rule (docs/architecture.md, "Who may open what"): public for everyone; official use
    only for the group's members and the co-chairs (a group's paper), or for government
    people (a forum paper); export-controlled for full members of the group (not observers)
    and for the forum's co-chairs, in both cases through a verified affiliation with a
    confirmed organisation of a member country of the forum. A paper marked releasable to
    named countries ("REL TO USA, JPN") goes only to people whose verified organisation is
    in one of them. The secretariat keeps the papers and opens all of them."""

    def __init__(self, user, *, group_ids: Iterable[int] | None = None):
        """`group_ids`: the person's working groups, when the caller has read them already."""
        self.user = user
        self.role = role_of(user)
        self.participant = is_participant(user)
        if not self.participant:
            self.group_ids: set[int] = set()
        else:
            self.group_ids = _group_ids_of(user) if group_ids is None else set(group_ids)
        self._member_countries: dict[int, set[str]] = {}
        self._cochair_of: dict[int, bool] = {}

    @cached_property
    def organization(self) -> Organization | None:
        """The verified organisation, if confirmed. Read only for a paper that needs it:
        most lists have none."""
        organization_id = verified_organization_id(self.user) if self.participant else None
        if organization_id is None:
            return None
        return Organization.objects.filter(pk=organization_id, confirmed=True).only("pk", "country_id").first()

    @property
    def country_code(self) -> str | None:
        return self.organization.country_id if self.organization is not None else None

    @cached_property
    def full_member_group_ids(self) -> set[int]:
        """The groups the person is in as a lead or member: an observer's seat does not count
        for export-controlled material."""
        if not self.group_ids:
            return set()
        return set(
            Membership.objects.filter(person=self.user, working_group_id__in=self.group_ids)
            .exclude(role=Membership.Role.OBSERVER)
            .values_list("working_group_id", flat=True)
        )

    def _is_member_country(self, forum_id: int) -> bool:
        if forum_id not in self._member_countries:
            self._member_countries[forum_id] = set(
                ForumCountry.objects.filter(forum_id=forum_id, standing=ForumCountry.Standing.MEMBER)
                .values_list("country_id", flat=True)
            )
        return self.country_code in self._member_countries[forum_id]

    def is_forum_cochair(self, forum_id: int) -> bool:
        """A co-chair whose verified affiliation is with one of the forum's co-chair offices of
        a member country (OUSD(A&S), ATLA): cleared for every group's export-controlled
        minutes and papers, as they approve every group's minutes."""
        if not is_cochair(self.user) or self.organization is None or not self._is_member_country(forum_id):
            return False
        if forum_id not in self._cochair_of:
            self._cochair_of[forum_id] = CoChair.objects.filter(
                forum_id=forum_id, organization_id=self.organization.pk, country_id=self.organization.country_id
            ).exists()
        return self._cochair_of[forum_id]

    def may_download(self, document: Document) -> bool:
        if is_secretariat(self.user):
            return True
        group_id = document.working_group_id or (document.meeting.working_group_id if document.meeting_id else None)
        if document.meeting_id and not can_view_meeting(self.user, document.meeting, group_ids=self.group_ids):
            return False
        return self.may_open(marking=document.marking, group_id=group_id, forum_id=document.forum_id,
                             releasable_to=document.releasable_to)

    def may_open(self, *, marking: str, group_id: int | None, forum_id: int,
                 releasable_to: Iterable[str] = ()) -> bool:
        """The marking rule alone, for papers and for marked minutes alike."""
        if is_secretariat(self.user):
            return True
        if marking == Document.Marking.PUBLIC:
            return True
        if not self.participant:
            return False
        if releasable_to and self.country_code not in releasable_to:
            return False
        if marking == Document.Marking.OFFICIAL_USE_ONLY:
            if group_id is not None:
                # A working group's papers stay in the group (DESIGN: an official never sees
                # the papers of a group they are not in); the co-chairs oversee every group.
                return group_id in self.group_ids or is_cochair(self.user)
            return self.role in GOVERNMENT_ROLES
        # Export-controlled: a verified affiliation with a confirmed organisation of a member country,
        # and either a full seat in the group or one of the forum's co-chair offices.
        if not self._is_member_country(forum_id):
            return False
        if self.is_forum_cochair(forum_id):
            return True
        return group_id is not None and group_id in self.full_member_group_ids

    def filter(self, documents: Iterable[Document]) -> list[Document]:
        return [document for document in documents if self.may_download(document)]


def can_download_document(user, document: Document) -> bool:
    return PaperClearance(user).may_download(document)


# Publishing (agenda, minutes, papers): who may take each step. Services check these too.


def can_build_agenda(user, meeting: Meeting) -> bool:
    return can_manage_meeting(user, meeting)


def can_follow_minutes(user, meeting: Meeting, *, group_ids: set[int] | None = None) -> bool:
    """May see the minutes before publication: the secretariat writes them, the co-chairs approve them."""
    return is_secretariat(user) or (is_cochair(user) and can_view_meeting(user, meeting, group_ids=group_ids))


def can_write_minutes(user, meeting: Meeting) -> bool:
    """Start, edit a draft, send for approval, publish, start an amendment."""
    return is_secretariat(user)


def can_preview_minutes(user) -> bool:
    """The live preview renders any text: only for those who write minutes."""
    return is_secretariat(user)


def can_approve_minutes(user, meeting: Meeting) -> bool:
    """Approve or return: a co-chair only, never the secretariat that wrote the text."""
    return is_cochair(user) and can_view_meeting(user, meeting)


def can_read_minutes(user, minutes: Minutes, *, group_ids: set[int] | None = None) -> bool:
    """One version of the minutes: every version for those who follow the workflow, published
    ones for whoever may see the meeting; in both cases only when cleared for the marking, as
    for a paper of the meeting's group (co-chairs too: one rule for minutes and papers).
    `group_ids` as for can_view_meeting."""
    meeting = minutes.meeting
    if is_secretariat(user):
        return True
    if group_ids is None and is_participant(user):
        group_ids = _group_ids_of(user)
    if not can_view_meeting(user, meeting, group_ids=group_ids):
        return False
    if minutes.status != Minutes.Status.PUBLISHED and not can_follow_minutes(user, meeting, group_ids=group_ids):
        return False
    return PaperClearance(user, group_ids=group_ids).may_open(
        marking=minutes.marking, group_id=meeting.working_group_id, forum_id=meeting.forum_id
    )


def can_upload_paper(user) -> bool:
    return is_secretariat(user)


def must_acknowledge_handling(document: Document, *, acknowledged: bool) -> bool:
    """Before the first download of an export-controlled paper the person acknowledges the
    handling rule (recorded in the audit); `acknowledged`: they have for this paper."""
    return document.marking == Document.Marking.EXPORT_CONTROLLED and not acknowledged


# Registrations: who may attend which meeting, and who keeps the list.

# Industry representatives come to the meetings held for industry; officials and co-chairs
# may attend any meeting that takes registrations. The secretariat runs meetings rather
# than registering for them.
INDUSTRY_MEETING_KINDS = frozenset({Meeting.Kind.ROUNDTABLE, Meeting.Kind.INDUSTRY_DAY})


def role_may_attend(user, meeting: Meeting) -> bool:
    """Whether the person's role attends this kind of meeting (visibility aside)."""
    role = role_of(user)
    if role == Role.INDUSTRY:
        return meeting.kind in INDUSTRY_MEETING_KINDS
    return role in GOVERNMENT_ROLES


def can_register_for_meeting(user, meeting: Meeting) -> bool:
    return can_view_meeting(user, meeting) and role_may_attend(user, meeting)


def can_manage_registrations(user, meeting: Meeting) -> bool:
    """Vet, decline, change capacity, export, check in."""
    return can_manage_meeting(user, meeting)


def can_cancel_registration(user, registration) -> bool:
    """The person themselves, or the secretariat on their behalf."""
    return (user.is_authenticated and registration.person_id == user.pk) or can_manage_registrations(
        user, registration.meeting
    )
