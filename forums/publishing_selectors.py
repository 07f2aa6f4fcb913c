"""The reads of the publishing pages (agenda, minutes, papers), with their joins and the
permission filters applied."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from participants.models import in_language
from working_groups.models import ActionItem
from working_groups.permissions import can_see_group_workings
from working_groups.selectors import action_items_for_review

from . import selectors
from .models import AgendaVersion, Meeting, Minutes
from .permissions import (
    PaperClearance,
    can_approve_minutes,
    can_build_agenda,
    can_follow_minutes,
    can_upload_paper,
    can_view_meeting,
    can_write_minutes,
)
from .services.agenda import agenda_changes, snapshot_items


@dataclass(frozen=True)
class PublishedOrganization:
    name_en: str
    name_ja: str

    @property
    def display_name(self) -> str:
        return in_language(self.name_en, self.name_ja)


@dataclass(frozen=True)
class PublishedItem:
    """One item of a published agenda, read from its snapshot; shaped like an AgendaItem
    for the templates (title, presenter, presenter_organization.display_name, …)."""

    id: int
    title_en: str
    title_ja: str
    presenter: str
    presenter_organization: PublishedOrganization | None
    duration_minutes: int
    notes: str
    reviews_action_items: bool

    @property
    def title(self) -> str:
        return in_language(self.title_en, self.title_ja)

    @classmethod
    def from_snapshot(cls, entry: dict[str, Any]) -> "PublishedItem":
        organization = (
            PublishedOrganization(entry.get("organization_en", ""), entry.get("organization_ja", ""))
            if entry.get("organization_id")
            else None
        )
        return cls(
            id=entry["id"],
            title_en=entry.get("title_en", ""),
            title_ja=entry.get("title_ja", ""),
            presenter=entry.get("presenter", ""),
            presenter_organization=organization,
            duration_minutes=entry.get("duration_minutes", 0),
            notes=entry.get("notes", ""),
            reviews_action_items=entry.get("reviews_action_items", False),
        )


@dataclass(frozen=True)
class TimedPublishedItem:
    item: PublishedItem
    starts_at: datetime


def timed_published_agenda(meeting: Meeting, version: AgendaVersion) -> tuple[list[TimedPublishedItem], timedelta]:
    """Like selectors.timed_agenda, for a published version's frozen items."""
    timed, clock = [], meeting.starts_at
    for entry in version.items:
        item = PublishedItem.from_snapshot(entry)
        timed.append(TimedPublishedItem(item=item, starts_at=clock))
        clock += timedelta(minutes=item.duration_minutes)
    return timed, clock - meeting.starts_at


def describe_agenda_changes(changes: dict[str, list[dict[str, Any]]]) -> list[str]:
    """One sentence per change, in the current language (for the page; notices may reuse it)."""
    lines: list[str] = []

    def title(entry: dict[str, Any]) -> str:
        return in_language(entry.get("title_en", ""), entry.get("title_ja", ""))

    for entry in changes.get("added", []):
        lines.append(_("Added: “%(title)s” (item %(position)s)") % {"title": title(entry), "position": entry["position"]})
    for entry in changes.get("removed", []):
        lines.append(_("Removed: “%(title)s” (was item %(position)s)") % {"title": title(entry), "position": entry["position"]})
    for entry in changes.get("moved", []):
        lines.append(
            _("Moved: “%(title)s” from item %(old)s to item %(new)s")
            % {"title": title(entry), "old": entry["from"], "new": entry["to"]}
        )
    for entry in changes.get("retimed", []):
        lines.append(
            _("Retimed: “%(title)s” from %(old)s to %(new)s minutes")
            % {"title": title(entry), "old": entry["from"], "new": entry["to"]}
        )
    for entry in changes.get("edited", []):
        lines.append(_("Edited: “%(title)s”") % {"title": title(entry)})
    return lines


def agenda_for_page(user, meeting: Meeting) -> dict[str, Any]:
    """The agenda part of the meeting page's context.

    The secretariat gets the builder: the draft items, timed, with the latest published
    version beside them and what publishing now would record. Everyone else gets the
    latest published version only (never the draft).
    """
    version = meeting.agenda_versions.select_related("published_by__profile").order_by("-number").first()
    context: dict[str, Any] = {
        "agenda_version": version,
        "agenda_version_changes": describe_agenda_changes(version.changes) if version else [],
    }
    if can_build_agenda(user, meeting):
        agenda, length = selectors.timed_agenda(meeting)
        # What publishing now would record: the builder shows it before the click.
        pending = agenda_changes(version.items, snapshot_items(meeting)) if version else {}
        context.update(
            agenda_builder=True,
            agenda=agenda,
            agenda_length_minutes=int(length.total_seconds() // 60),
            meeting_length_minutes=int(meeting.duration.total_seconds() // 60),
            agenda_overruns=length > meeting.duration,
            agenda_has_unpublished_changes=bool(agenda) and (version is None or bool(pending)),
            agenda_pending_changes=describe_agenda_changes(pending),
        )
        return context
    if version is None:
        context.update(agenda=[], agenda_overruns=False)
        return context
    agenda, length = timed_published_agenda(meeting, version)
    context.update(agenda=agenda, agenda_overruns=length > meeting.duration)
    return context


def review_items_for_page(user, meeting: Meeting, agenda: list) -> list[ActionItem] | None:
    """The open action items to list under a "Review of action items" entry, or None when
    the agenda has no such entry or the viewer may not see them."""
    if not any(entry.item.reviews_action_items for entry in agenda):
        return None
    if meeting.working_group_id and not can_see_group_workings(user, meeting.working_group):
        return None
    return action_items_for_review(user=user, meeting=meeting)


def meeting_page_publishing(user, meeting: Meeting) -> dict[str, Any]:
    """Everything the meeting page shows of issue 4: agenda (builder or published),
    review items, the readable minutes, and which publishing links to offer."""
    context = agenda_for_page(user, meeting)
    context["review_action_items"] = review_items_for_page(user, meeting, context["agenda"])
    minutes = selectors.published_minutes(meeting)
    # Cleared for the marking, whoever they are (co-chairs too: one rule for minutes and papers).
    withheld = minutes is not None and not PaperClearance(user).may_open(
        marking=minutes.marking, group_id=meeting.working_group_id, forum_id=meeting.forum_id
    )
    context.update(
        minutes=None if withheld else minutes,
        minutes_withheld=withheld,
        can_follow_minutes=can_follow_minutes(user, meeting),
        can_upload_paper=can_upload_paper(user),
        can_record_action_items=can_write_minutes(user, meeting),
    )
    return context


def readable_minutes_versions(user, meeting: Meeting) -> list[Minutes]:
    """The versions `user` may read, newest first: every version for those who follow the
    workflow, published ones otherwise; in both cases only those they are cleared for
    (forums.permissions.can_read_minutes decides the same way). Flat in queries."""
    versions = list(
        meeting.minutes.select_related(
            "created_by__profile", "submitted_by__profile", "approved_by__profile", "published_by__profile",
            "returned_by__profile",
        ).order_by("-version")
    )
    follows = can_follow_minutes(user, meeting)
    clearance = PaperClearance(user)
    return [
        minutes
        for minutes in versions
        if (follows or minutes.status == Minutes.Status.PUBLISHED)
        and clearance.may_open(marking=minutes.marking, group_id=meeting.working_group_id, forum_id=meeting.forum_id)
    ]


def minutes_workflow(user, meeting: Meeting) -> dict[str, Any]:
    """The workflow page: the version in the making (if any), the latest published one,
    and what this person may do next."""
    versions = readable_minutes_versions(user, meeting)
    in_making = next((minutes for minutes in versions if minutes.status != Minutes.Status.PUBLISHED), None)
    published = next((minutes for minutes in versions if minutes.status == Minutes.Status.PUBLISHED), None)
    return {
        "versions": versions,
        "in_making": in_making,
        "published": published,
        "may_write": can_write_minutes(user, meeting),
        "may_approve": can_approve_minutes(user, meeting),
        "may_start": can_write_minutes(user, meeting) and not versions,
        "may_amend": can_write_minutes(user, meeting) and published is not None and in_making is None,
    }


def viewable_meeting(user, pk: int) -> Meeting | None:
    meeting = Meeting.objects.select_related("working_group", "forum").filter(pk=pk).first()
    if meeting is None or not can_view_meeting(user, meeting):
        return None
    return meeting
