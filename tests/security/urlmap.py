"""The project's URL patterns as the resolver knows them, and a world of objects to fill
their parameters with: shared by the permission matrix, the CSRF check, the MFA check and
the garbage-input tests, so that each walks every page the project defines."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from forums.models import Document, ForumCountry, Meeting, Minutes, Registration
from notifications.emails import unsubscribe_token
from notifications.models import Dispatch
from participants.enrolment import enrolment_token
from participants.invitations import invitation_token
from participants.affiliations import request_affiliation
from participants.models import EnrolmentLink, Invitation, Organization, RoleGrant, VerifiedDomain
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    CountryFactory,
    MeetingFactory,
    MembershipFactory,
    MinutesFactory,
    OrganizationFactory,
    ProfileFactory,
    RegistrationFactory,
    UserFactory,
)


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full route (prefixes joined), its name, and its view's module."""

    route: str
    name: str | None
    module: str

    def __str__(self) -> str:
        return self.route


def _walk(patterns, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if pattern.name and namespace else pattern.name
            callback = pattern.callback
            module = getattr(callback, "__module__", "") or ""
            view_class = getattr(callback, "view_class", None)
            if view_class is not None:
                module = view_class.__module__
            yield Route(prefix + str(pattern.pattern), name, module)


def all_routes(urlconf=None) -> list[Route]:
    """Every URL pattern of the project (or of `urlconf`), recursively, namespaces included."""
    return list(_walk(get_resolver(urlconf).url_patterns))


@dataclass
class World:
    """Objects for every kind of parameter, seen from the cast (tests/conftest.py)."""

    cast: object
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def build_world(cast, media_root) -> World:
    """A meeting of each visibility (and a draft), an open roundtable with a registration,
    an agenda item, minutes in review and published ones, papers of each marking, an
    action item, a dispatch, an invitation, and the tokens of the secret addresses; an
    official of an observer country in group A, and an industry representative whose
    affiliation awaits approval (with a verified domain of that organisation)."""
    now = timezone.now()
    public = MeetingFactory(title_en="Public plenary", visibility=Meeting.Visibility.PUBLIC)
    participants = MeetingFactory(title_en="Participants' preparatory meeting", kind=Meeting.Kind.PREPARATORY,
                                  visibility=Meeting.Visibility.PARTICIPANTS)
    group = MeetingFactory(title_en="Group A meeting", kind=Meeting.Kind.WORKING_GROUP,
                           working_group=cast.group_a, visibility=Meeting.Visibility.GROUP_MEMBERS)
    draft = MeetingFactory(title_en="Draft meeting", status=Meeting.Status.DRAFT,
                           visibility=Meeting.Visibility.PUBLIC)
    roundtable = MeetingFactory(
        title_en="Industry roundtable", kind=Meeting.Kind.ROUNDTABLE, visibility=Meeting.Visibility.PUBLIC,
        registration_opens_at=now - timedelta(days=1), registration_closes_at=now + timedelta(days=5),
        capacity=30,
    )
    registration = RegistrationFactory(meeting=roundtable, person=cast.industry,
                                       organization=cast.industry.profile.organization,
                                       status=Registration.Status.CONFIRMED)
    item = AgendaItemFactory(meeting=participants, title_en="Opening remarks")
    group_item = AgendaItemFactory(meeting=group, title_en="Dry-dock capacity")
    in_review = MinutesFactory(meeting=participants, status=Minutes.Status.IN_REVIEW, body="Agreed the plan.")
    published = MinutesFactory(meeting=group, status=Minutes.Status.PUBLISHED, body="Agreed the dock list.",
                               marking="official_use_only")
    public_paper = Document(forum=public.forum, meeting=public, title="Public summary",
                            marking=Document.Marking.PUBLIC)
    public_paper.file.save("summary.pdf", ContentFile(b"%PDF-1.4 public"), save=True)
    group_paper = Document(forum=group.forum, working_group=cast.group_a, title="Dock survey",
                           marking=Document.Marking.OFFICIAL_USE_ONLY)
    group_paper.file.save("survey.pdf", ContentFile(b"%PDF-1.4 restricted"), save=True)
    export_paper = Document(forum=group.forum, working_group=cast.group_a, title="Dock drawings",
                            marking=Document.Marking.EXPORT_CONTROLLED)
    export_paper.file.save("drawings.pdf", ContentFile(b"%PDF-1.4 export-controlled"), save=True)
    # Japan (the cast's organisations) a member of the forum, Australia an observer.
    ForumCountry.objects.get_or_create(forum=group.forum, country=cast.member.profile.organization.country,
                                       defaults={"standing": ForumCountry.Standing.MEMBER})
    australia = CountryFactory(code="AU", name_en="Australia")
    ForumCountry.objects.create(forum=group.forum, country=australia, standing=ForumCountry.Standing.OBSERVER)
    # An official of the observer country, verified, a full member of group A.
    observer = ProfileFactory(user=UserFactory(), role="official", organization=OrganizationFactory(
        name="Australian Department of Defence", kind=Organization.Kind.GOVERNMENT, country=australia)).user
    MembershipFactory(working_group=cast.group_a, person=observer)
    # An industry representative whose affiliation with a company of group A's member awaits approval.
    unverified = ProfileFactory(user=UserFactory(), role="industry", organization=cast.member.profile.organization,
                                verified_organization=None).user
    pending = request_affiliation(profile=unverified.profile, organization=cast.member.profile.organization)
    domain = VerifiedDomain.objects.create(organization=cast.member.profile.organization, domain="kure.example")
    action_item = ActionItemFactory(working_group=cast.group_a, meeting=group, owner_person=cast.member)
    dispatch = Dispatch.objects.create(event=Dispatch.Event.AGENDA_PUBLISHED, audience=Dispatch.Audience.SECRETARIAT,
                                       target=public)
    enrolment_link = EnrolmentLink.objects.create(user=cast.member, email=cast.member.email,
                                                  reason=EnrolmentLink.Reason.ASKED, expires_at=now + timedelta(days=1))
    invitation = Invitation.objects.create(
        email="invitee@mod.example", role="official", organization=OrganizationFactory(),
        invited_by=cast.secretariat, expires_at=now + timedelta(days=7),
    )
    # Given by another member of the secretariat, so the cast's may decide it.
    role_grant = RoleGrant.objects.create(profile=cast.outsider.profile, role="secretariat", previous_role="official",
                                          requested_by=UserFactory(role="secretariat"))
    return World(cast, {
        "role_grant": role_grant,
        "public": public, "participants": participants, "group": group, "draft": draft,
        "roundtable": roundtable, "registration": registration, "item": item, "group_item": group_item,
        "in_review": in_review, "published": published, "public_paper": public_paper,
        "group_paper": group_paper, "export_paper": export_paper, "observer": observer, "unverified": unverified,
        "pending_affiliation": pending, "domain": domain,
        "action_item": action_item, "dispatch": dispatch,
        "invitation": invitation, "invitation_token": invitation_token(invitation),
        "enrolment_token": enrolment_token(enrolment_link),
        "unsubscribe_token": unsubscribe_token(person_id=cast.member.pk, category="agenda"),
        "calendar_token": cast.member.profile.calendar_token,
        "industry_profile": cast.industry.profile,
    })
