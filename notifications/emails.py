"""Turns a delivery into an e-mail: three templates per event under templates/email/<event>/
(subject.txt, body.txt, body.html), rendered in the recipient's language and time zone,
with the headers mail programs act on and, for meeting changes and seats, an invitation
(.ics) that updates the event already in the recipient's calendar."""

import re
import zoneinfo
from dataclasses import dataclass
from email.headerregistry import Address
from email.mime.text import MIMEText
from email.utils import parseaddr
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.db import models
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import escape
from django.utils.translation import gettext as _
from icalendar import Calendar, vCalAddress

from forums import calendars
from forums.models import Document, Meeting, Minutes, Registration
from participants.timezones import is_valid_time_zone

from . import mime, unsubscribe_keys
from .audiences import group_of, meeting_of
from .models import SECURITY_CATEGORY, Delivery, Dispatch, category_of, is_transactional

Event = Dispatch.Event

# Calendar programs (RFC 5546): REQUEST adds or updates the event with this UID when its
# SEQUENCE is higher, CANCEL removes it. Only notices that change what a calendar should
# hold carry one.
CALENDAR_METHOD_OF_EVENT = {
    Event.REGISTRATION_CONFIRMED: "REQUEST",
    Event.REGISTRATION_PROMOTED: "REQUEST",
    Event.INVITATION: "REQUEST",
    Event.MEETING_RESCHEDULED: "REQUEST",
    # Postponed keeps the old date, marked TENTATIVE, until a new one is set.
    Event.MEETING_POSTPONED: "REQUEST",
    Event.MEETING_CANCELLED: "CANCEL",
    # Their seat is gone: the event leaves their calendar, the meeting itself goes on.
    Event.REGISTRATION_CANCELLED: "CANCEL",
}

# Meeting changes sent as REQUEST: the invitation goes only to those whose calendar holds
# the event (see NoticeRenderer.sends_invitation_to).
SEAT_HOLDERS_ONLY = frozenset({Event.MEETING_RESCHEDULED, Event.MEETING_POSTPONED})


def absolute_url(path: str) -> str:
    """The worker has no request to build addresses from: they start at PORTAL_BASE_URL."""
    return urljoin(settings.PORTAL_BASE_URL, path)


def message_id(delivery: Delivery) -> str:
    """The same for every attempt at one delivery (its random part is stored), so a mail
    system that received it already can recognise a second copy; random and at this
    installation's domain, so that no other message in the world has it (RFC 5322 3.6.4)."""
    return f"<{delivery.message_id_part}@{settings.PORTAL_MAIL_DOMAIN}>"


def unsubscribe_token(*, person_id: int, category: str) -> str:
    """An opaque link that works once (notifications/unsubscribe_keys.py)."""
    return unsubscribe_keys.token(person_id=person_id, category=category)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(person id, category); raises signing.BadSignature when the link was altered, used or expired."""
    key, category = unsubscribe_keys.read(token)
    return key.person_id, category


def _in_language(english: str, japanese: str, language: str) -> str:
    return japanese if japanese and language.startswith("ja") else english


def _parsed(context: dict[str, Any]) -> dict[str, Any]:
    """The dispatch's context as templates want it: '…_at' values as times again."""
    parsed = {}
    for name, value in context.items():
        if name.endswith("_at") and isinstance(value, str):
            value = parse_datetime(value) or value
        elif name.endswith("_on") and isinstance(value, str):
            value = parse_date(value) or value
        parsed[name] = value
    return parsed


def agenda_change_lines(changes: dict[str, list[dict]], language: str) -> list[str]:
    """The agenda's change summary (forums.services.agenda.agenda_changes), one line each,
    with each item's title in `language`."""

    def title(entry: dict) -> str:
        return _in_language(entry.get("title_en", ""), entry.get("title_ja", ""), language)

    lines = [_("Added: %(position)s. %(title)s") % {"position": entry.get("position"), "title": title(entry)}
             for entry in changes.get("added", [])]
    lines += [_("Removed: %(title)s") % {"title": title(entry)} for entry in changes.get("removed", [])]
    lines += [_("Moved from %(old)s to %(new)s: %(title)s") % {
        "old": entry.get("from"), "new": entry.get("to"), "title": title(entry)} for entry in changes.get("moved", [])]
    lines += [_("Now %(new)s minutes instead of %(old)s: %(title)s") % {
        "old": entry.get("from"), "new": entry.get("to"), "title": title(entry)} for entry in changes.get("retimed", [])]
    lines += [_("Details changed: %(title)s") % {"title": title(entry)} for entry in changes.get("edited", [])]
    return lines


@dataclass(frozen=True)
class Recipient:
    language: str
    zone: str
    name: str


def recipient_of(user) -> Recipient:
    profile = getattr(user, "profile", None)
    languages = dict(settings.LANGUAGES)
    language = profile.preferred_language if profile and profile.preferred_language in languages else settings.LANGUAGE_CODE
    zone = profile.time_zone if profile and is_valid_time_zone(profile.time_zone) else settings.PORTAL_DEFAULT_VIEWER_TIME_ZONE
    with translation.override(language):
        name = profile.display_name if profile else (user.get_full_name() or user.get_username())
    return Recipient(language=language, zone=zone, name=name)


def load_target(dispatch: Dispatch) -> models.Model | None:
    """The dispatch's object with what every e-mail shows of it, loaded once per batch."""
    model = dispatch.target_type.model_class()
    if model is None:
        return None
    return target_queryset(model).filter(pk=dispatch.target_id).first()


def target_queryset(model: type[models.Model]) -> models.QuerySet:
    """Objects of a notice's kind with the joins its e-mail needs (also for the digest,
    which loads the objects of many notices at once)."""
    queryset = model._default_manager.all()
    if model is Meeting:
        queryset = calendars.with_agenda_titles(queryset.select_related("working_group", "forum"))
    elif model is Minutes:
        queryset = queryset.select_related("meeting__working_group", "meeting__forum")
    elif model is Registration:
        queryset = queryset.select_related("meeting__working_group", "meeting__forum", "person__profile")
    elif model is Document:
        queryset = queryset.select_related("meeting__working_group", "working_group", "forum")
    return queryset


# Headers the same for every recipient of one language: written once per group by mime.Writer.
GROUP_HEADERS = ("List-Unsubscribe-Post", "Content-Language", "Auto-Submitted")

# Stand-ins for what differs from one recipient to the next (see NoticeRenderer._rendered):
# letters and digits only, so that no template filter or escaping can alter them.
NAME_MARK = "RECIPIENTNAME5f1c9e"
UNSUBSCRIBE_MARK = "UNSUBSCRIBEURL8b2d47"


@dataclass
class Rendered:
    """One language and zone's e-mail, with stand-ins for the recipient (see NoticeRenderer)."""

    subject: str
    text: str
    html: str
    writer: mime.Writer | None = None


@dataclass(frozen=True)
class Personal:
    """One recipient's e-mail: the rendered group's, with their name and links put in."""

    name: str
    address: str
    text: str
    html: str
    headers: dict[str, str]  # in the order they are written
    invitation: bytes | None


class NoticeRenderer:
    """Renders one dispatch's e-mails; built once per batch, so the target, its meeting and
    the calendar data are read once however many people the batch holds.

    The templates are rendered once per language and time zone, with stand-ins for the
    recipient's name and unsubscribe link, which are then put in for each person (a mail
    merge): a fan-out to thousands costs a few renders, not three per person.
    """

    def __init__(self, dispatch: Dispatch, target: models.Model | None = None):
        self.dispatch = dispatch
        self.target = target if target is not None else load_target(dispatch)
        self.meeting = meeting_of(self.target)
        self.group = group_of(self.target)
        self.category = category_of(dispatch)
        self.transactional = is_transactional(dispatch)
        self.calendar_method = CALENDAR_METHOD_OF_EVENT.get(dispatch.event) if self.meeting else None
        self.info = _parsed(dispatch.context or {})
        self._calendars: dict[str, Calendar] = {}
        self._renders: dict[tuple[str, str, bool], Rendered] = {}
        self._seatless_ids: frozenset[int] | None = None
        self._unsubscribe_keys: dict[int, Any] = {}
        self._unsubscribe_url = absolute_url(reverse("notifications:unsubscribe", args=[UNSUBSCRIBE_MARK]))
        self._envelope_sender = _envelope_address(settings.DEFAULT_FROM_EMAIL)

    # -- the message ---------------------------------------------------------------

    def prepare(self, deliveries: list[Delivery]) -> None:
        """Reads (or makes) the unsubscribe keys of a whole batch's recipients at once."""
        if not self.transactional:
            self._unsubscribe_keys.update(unsubscribe_keys.keys_for(d.recipient_id for d in deliveries))

    def message_for(self, delivery: Delivery) -> EmailMultiAlternatives:
        """The e-mail as Django sends it (and as tests find it in mail.outbox)."""
        recipient = recipient_of(delivery.recipient)
        invited = self.sends_invitation_to(delivery.recipient)
        rendered = self._rendered(recipient.language, recipient.zone, invited)
        personal = self._personal(delivery, recipient, rendered, invited)
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=personal.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[str(Address(display_name=personal.name, addr_spec=personal.address))
                if personal.name != personal.address else personal.address],
            headers=personal.headers,
        )
        message.attach_alternative(personal.html, "text/html")
        if personal.invitation is not None:
            part = MIMEText(personal.invitation.decode(), "calendar", "utf-8")
            part.set_param("method", self.calendar_method)
            part.add_header("Content-Disposition", "attachment", filename=self._invitation_filename())
            message.attach(part)
        return message

    def envelope_for(self, delivery: Delivery) -> tuple[str, list[str], bytes]:
        """(sender, recipients, the message's bytes) for SMTP: the same e-mail as
        `message_for`, assembled by mime.Writer rather than by the e-mail package."""
        recipient = recipient_of(delivery.recipient)
        invited = self.sends_invitation_to(delivery.recipient)
        rendered = self._rendered(recipient.language, recipient.zone, invited)
        personal = self._personal(delivery, recipient, rendered, invited)
        if rendered.writer is None:
            rendered.writer = mime.Writer(
                sender=settings.DEFAULT_FROM_EMAIL,
                subject=rendered.subject,
                headers={name: personal.headers[name] for name in GROUP_HEADERS if name in personal.headers},
            )
        attachment = None
        if personal.invitation is not None:
            attachment = mime.Attachment(
                content_type=f'text/calendar; charset="utf-8"; method={self.calendar_method}',
                filename=self._invitation_filename(),
                data=personal.invitation,
            )
        data = rendered.writer.assemble(
            to=(personal.name if personal.name != personal.address else "", personal.address),
            headers={name: value for name, value in personal.headers.items() if name not in GROUP_HEADERS},
            text=personal.text, html=personal.html, attachment=attachment,
        )
        message = None
        if data is None:  # a body too long for 8bit: Django's encoder picks quoted-printable
            message = self.message_for(delivery)
            data = message.message().as_bytes(linesep="\r\n")
        return self._envelope_sender, [_envelope_address(personal.address)], data

    def sends_invitation_to(self, user) -> bool:
        """Whether this person's e-mail carries the invitation (.ics). A change to a meeting
        updates the calendars that hold it; someone whose registration still waits (vetting,
        waiting list) was never sent the event, and a REQUEST would add it as if they had a
        seat: they read the notice without one. Group members keep theirs (their feed holds
        the meeting)."""
        if not self.calendar_method:
            return False
        if self.dispatch.event not in SEAT_HOLDERS_ONLY or self.meeting is None:
            return True
        if self._seatless_ids is None:
            waiting = Registration.objects.filter(
                meeting=self.meeting, status__in=[Registration.Status.PENDING, Registration.Status.WAITLISTED]
            )
            if self.meeting.working_group_id:
                waiting = waiting.exclude(person__memberships__working_group_id=self.meeting.working_group_id)
            self._seatless_ids = frozenset(waiting.values_list("person_id", flat=True))
        return user.pk not in self._seatless_ids

    def _personal(self, delivery: Delivery, recipient: "Recipient", rendered: Rendered,
                  invited: bool = True) -> Personal:
        user = delivery.recipient
        unsubscribe_url = None
        if not self.transactional:
            key = self._unsubscribe_keys.get(user.pk)
            if key is None:
                key = self._unsubscribe_keys[user.pk] = unsubscribe_keys.keys_for([user.pk])[user.pk]
            token = unsubscribe_keys.token_for(key, self.category)
            unsubscribe_url = self._unsubscribe_url.replace(UNSUBSCRIBE_MARK, token)
        headers = {"Message-ID": message_id(delivery)}
        if unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            # RFC 8058: the mail program may unsubscribe with one POST, without a page.
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        headers["Content-Language"] = recipient.language
        # RFC 3834: automatic replies should not answer it.
        headers["Auto-Submitted"] = "auto-generated"
        return Personal(
            name=recipient.name,
            address=user.email,
            text=rendered.text.replace(NAME_MARK, recipient.name).replace(UNSUBSCRIBE_MARK, unsubscribe_url or ""),
            html=rendered.html.replace(NAME_MARK, escape(recipient.name)).replace(
                UNSUBSCRIBE_MARK, escape(unsubscribe_url or "")),
            headers=headers,
            invitation=self.invitation_for(user, recipient) if self.calendar_method and invited else None,
        )

    def _rendered(self, language: str, zone: str, invited: bool = True) -> Rendered:
        key = (language, zone, invited)
        if key not in self._renders:
            with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
                context = self.context_for(language)
                context["has_invitation"] = context["has_invitation"] and invited
                folder = f"email/{self.dispatch.event}"
                self._renders[key] = Rendered(
                    # One line, however the template wraps it.
                    subject=re.sub(r"\s+", " ", render_to_string(f"{folder}/subject.txt", context)).strip(),
                    text=render_to_string(f"{folder}/body.txt", context),
                    html=render_to_string(f"{folder}/body.html", context),
                )
        return self._renders[key]

    def context_for(self, language: str) -> dict[str, Any]:
        """What the templates see: the same for every recipient of one language and zone."""
        target = self.target
        meeting = self.meeting
        registration = target if isinstance(target, Registration) else None
        context: dict[str, Any] = {
            "recipient_name": NAME_MARK,
            "unsubscribe_url": None if self.transactional else UNSUBSCRIBE_MARK,
            "LANGUAGE_CODE": language,
            "dispatch": self.dispatch,
            "notice": self.dispatch.get_event_display(),
            "target": target,
            "info": self.info,
            "meeting": meeting,
            "meeting_url": absolute_url(meeting.get_absolute_url()) if meeting else None,
            "group": self.group,
            "minutes": target if isinstance(target, Minutes) else None,
            "paper": target if isinstance(target, Document) else None,
            "paper_url": absolute_url(reverse("forums:download_paper", args=[target.pk]))
            if isinstance(target, Document) else None,
            "registration": registration,
            "own_registration": self.transactional and self.category != SECURITY_CATEGORY,
            "security_notice": self.category == SECURITY_CATEGORY,
            "to_person": self.dispatch.audience == Dispatch.Audience.PERSON,
            "has_invitation": self.calendar_method is not None,
            "calendar_method": self.calendar_method,
            "portal_url": absolute_url("/"),
            "preferences_url": absolute_url(reverse("notifications:preferences")),
            "action_items_url": _optional_url("working_groups:my_action_items"),
            "affiliations_url": _optional_url("participants:affiliations"),
        }
        minutes = context["minutes"]
        # Worked out here rather than with `default:` in the templates: a filter's argument
        # must exist, and a service may leave any key out of the context.
        context["version"] = minutes.version if minutes is not None else self.info.get("version")
        context["reason"] = (registration.decline_reason if registration is not None else "") or self.info.get("reason")
        if registration is not None:
            # Told to the secretariat: whose registration it is.
            profile = getattr(registration.person, "profile", None)
            context["registrant_name"] = profile.display_name if profile else registration.person.get_username()
        if self.dispatch.event == Event.MEETING_RESCHEDULED and meeting is not None and (
            "previous_venue_en" in self.info
        ):
            before = _in_language(self.info.get("previous_venue_en", ""), self.info.get("previous_venue_ja", ""),
                                  language)
            # Only when the place changed: a new time alone says nothing of the place.
            context["previous_venue"] = before if before != meeting.venue else None
        if self.dispatch.event == Event.AGENDA_CHANGED:
            context["agenda_changes"] = agenda_change_lines(self.info.get("changes") or {}, language)
        if self.dispatch.event == Event.DIGEST:
            from .digests import digest_context  # it renders each item with this module

            context.update(digest_context(self.dispatch, language))
        return context

    # -- the invitation ------------------------------------------------------------

    def invitation_for(self, user, recipient: Recipient) -> bytes:
        """The .ics for one recipient: the meeting's stable UID and current SEQUENCE, with
        METHOD (REQUEST or CANCEL) and the recipient as attendee."""
        with translation.override(recipient.language):
            calendar = self._calendar(recipient.language)
        event = calendar.walk("VEVENT")[0]
        attendee = vCalAddress(f"mailto:{user.email}")
        attendee.params["cn"] = recipient.name
        attendee.params["role"] = "REQ-PARTICIPANT"
        event.pop("attendee", None)
        event.add("attendee", attendee, encode=0)
        return calendar.to_ical()

    def _invitation_filename(self) -> str:
        return "cancel.ics" if self.calendar_method == "CANCEL" else "invite.ics"

    def _calendar(self, language: str) -> Calendar:
        """The meeting's calendar object with METHOD, in one language; made once per batch."""
        if language not in self._calendars:
            calendar = calendars.build_calendar([self.meeting], name=self.meeting.title, absolute_uri=absolute_url)
            calendar.add("method", self.calendar_method)
            event = calendar.walk("VEVENT")[0]
            # With METHOD, DTSTAMP is when this message's calendar object was made (RFC 5545 3.8.7.2).
            event.pop("dtstamp", None)
            event.add("dtstamp", timezone.now())
            # Attendees' answers (accept, decline) go to the ORGANIZER: a mailbox someone reads.
            organizer = vCalAddress(f"mailto:{_envelope_address(settings.PORTAL_SECRETARIAT_EMAIL)}")
            organizer.params["cn"] = _("DICAS Secretariat")
            event.add("organizer", organizer, encode=0)
            if self.calendar_method == "CANCEL":
                event.pop("status", None)
                event.add("status", "CANCELLED")
            self._calendars[language] = calendar
        return self._calendars[language]


def _envelope_address(address: str) -> str:
    """The bare address MAIL FROM and RCPT TO take (an international domain in punycode)."""
    if address.isascii() and "<" not in address:
        return address
    return parseaddr(sanitize_address(address, "utf-8"))[1]


def _optional_url(name: str, *args: Any) -> str | None:
    """An absolute address of a page another app may not offer (yet)."""
    try:
        return absolute_url(reverse(name, args=args))
    except NoReverseMatch:
        return None
