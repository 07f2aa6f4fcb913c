"""The e-mails as recipients get them (django.core.mail.outbox): both parts, their
language and time zone, the headers mail programs act on."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from forums.models import Document, Meeting, Minutes, Registration
from notifications.emails import read_unsubscribe_token
from notifications.models import Category, Delivery, Dispatch
from tests.factories import MembershipFactory, RegistrationFactory, UserFactory
from working_groups.models import ActionItem

pytestmark = pytest.mark.django_db

Event, Audience = Dispatch.Event, Dispatch.Audience


@pytest.fixture
def japanese_member(cast):
    """A member of group A who reads Japanese and lives in Washington's time zone."""
    person = UserFactory(role="official")
    person.profile.full_name_ja = "山田 花子"
    person.profile.preferred_language = "ja"
    person.profile.time_zone = "America/New_York"
    person.profile.save()
    MembershipFactory(working_group=cast.group_a, person=person)
    return person


def mail_to(person) -> mail.EmailMessage:
    [message] = [message for message in mail.outbox if person.email in message.to[0]]
    return message


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_each_member_gets_the_notice_in_their_language_with_text_and_html(cast, group_meeting, japanese_member,
                                                                          publish):
    publish(event=Event.MINUTES_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)

    assert len(mail.outbox) == 2
    english, japanese = mail_to(cast.member), mail_to(japanese_member)

    assert english.subject == "Minutes published: Ship repair working group, second meeting"
    assert english.extra_headers["Content-Language"] == "en"
    assert "The minutes of Ship repair working group, second meeting have been published." in english.body
    assert '<html lang="en">' in html_of(english)
    assert "Ministry of Defense, Ichigaya" in english.body

    assert japanese.subject.endswith("艦船の補修・整備作業部会 第2回会合")
    assert "Ship repair working group" not in japanese.subject + japanese.body + html_of(japanese)
    assert japanese.extra_headers["Content-Language"] == "ja"
    assert '<html lang="ja">' in html_of(japanese)
    assert "防衛省市ヶ谷庁舎" in japanese.body and "山田 花子" in japanese.body
    assert japanese.to == ["山田 花子 <%s>" % japanese_member.email]


def test_times_are_given_in_the_venues_zone_and_in_the_recipients(cast, group_meeting, japanese_member, publish):
    cast.member.profile.time_zone = "Asia/Tokyo"
    cast.member.profile.save()

    publish(event=Event.MEETING_REMINDER, target=group_meeting, audience=Audience.MEETING_ATTENDEES)

    # 10:00 in Tokyo is 21:00 the day before in Washington (summer time).
    japanese = mail_to(japanese_member)
    for part in (japanese.body, html_of(japanese)):
        assert "2030年6月11日 10:00 JST" in part
        assert "2030年6月10日 21:00 EDT" in part
    english = mail_to(cast.member)
    assert "June 11, 2030 10:00 JST (Tokyo)" in english.body
    # Same zone as the venue: given once.
    assert "EDT" not in english.body


def test_headers_a_stable_message_id_and_a_one_click_unsubscribe(cast, group_meeting, publish, client):
    dispatch = publish(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)

    message = mail_to(cast.member)
    delivery = Delivery.objects.get(dispatch=dispatch, recipient=cast.member)
    assert message.extra_headers["Message-ID"] == f"<{delivery.message_id_part}@{settings.PORTAL_MAIL_DOMAIN}>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(http://localhost:8000/notifications/unsubscribe/([^/]+)/)>",
                        message.extra_headers["List-Unsubscribe"])
    assert link, message.extra_headers["List-Unsubscribe"]
    assert read_unsubscribe_token(link.group(2)) == (cast.member.pk, Category.AGENDA)
    assert link.group(1) in message.body and link.group(1) in html_of(message)
    # The headers make it into the message as sent.
    sent = message.message()
    assert sent["Message-ID"] == f"<{delivery.message_id_part}@{settings.PORTAL_MAIL_DOMAIN}>"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_notice_about_ones_own_registration_has_no_unsubscribe_and_carries_the_invitation(cast, publish):
    roundtable_start = timezone.now() + timedelta(days=20)
    from tests.factories import MeetingFactory

    roundtable = MeetingFactory(kind=Meeting.Kind.ROUNDTABLE, visibility=Meeting.Visibility.PARTICIPANTS,
                                title_en="Industry roundtable", starts_at=roundtable_start,
                                ends_at=roundtable_start + timedelta(hours=2))
    registration = RegistrationFactory(meeting=roundtable, person=cast.industry,
                                       status=Registration.Status.CONFIRMED)

    publish(event=Event.REGISTRATION_CONFIRMED, target=registration, audience=Audience.PERSON,
            person=cast.industry)

    message = mail_to(cast.industry)
    assert "List-Unsubscribe" not in message.extra_headers
    assert "sent whatever your notification settings" in message.body
    assert registration.checkin_code in message.body and registration.checkin_code in html_of(message)
    [invitation] = message.attachments
    assert invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "REQUEST"
    ics = invitation.get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in ics and f"UID:{roundtable.calendar_uid_part}@{settings.PORTAL_UID_DOMAIN}" in ics
    assert f"ATTENDEE;CN=\"{cast.industry.profile.display_name}\"" in ics


def test_a_changed_agenda_says_what_changed_in_the_readers_language(cast, group_meeting, japanese_member, publish):
    changes = {
        "added": [{"id": 9, "title_en": "Dry-dock capacity", "title_ja": "乾ドックの能力", "position": 3}],
        "removed": [{"id": 4, "title_en": "Any other business", "title_ja": "", "position": 5}],
    }
    publish(event=Event.AGENDA_CHANGED, target=group_meeting, audience=Audience.GROUP_MEMBERS,
            context={"version": 2, "changes": changes})

    english = mail_to(cast.member)
    assert "Added: 3. Dry-dock capacity" in english.body
    assert "Removed: Any other business" in english.body
    assert "(version 2)" in english.body
    japanese = mail_to(japanese_member)
    assert "乾ドックの能力" in japanese.body and "乾ドックの能力" in html_of(japanese)
    # No Japanese title: the English one rather than nothing.
    assert "Any other business" in japanese.body


def test_the_html_part_escapes_what_people_typed(cast, group_meeting, publish):
    group_meeting.title_en = "Repairs <script>alert(1)</script> & docks"
    group_meeting.save()

    publish(event=Event.AGENDA_PUBLISHED, target=group_meeting, audience=Audience.GROUP_MEMBERS)

    message = mail_to(cast.member)
    assert "<script>" not in html_of(message)
    assert "&lt;script&gt;" in html_of(message)
    # The text part and the subject are not HTML: no entities there.
    assert "Repairs <script>alert(1)</script> & docks" in message.body
    assert "& docks" in message.subject


def _target_for(event: str, cast, meeting: Meeting):
    """An object of the kind each event is recorded with, and the audience it goes to."""
    if event.startswith("registration_"):
        registration = RegistrationFactory(meeting=meeting, person=cast.member, status=Registration.Status.CONFIRMED,
                                           decline_reason="The meeting is for shipyards only.")
        return registration, Audience.PERSON
    if event.startswith("minutes_"):
        minutes = Minutes.objects.create(meeting=meeting, body="Text", status=Minutes.Status.PUBLISHED)
        return minutes, Audience.GROUP_MEMBERS
    if event == Event.PAPER_ADDED:
        return Document.objects.create(forum=meeting.forum, working_group=cast.group_a, title="Survey",
                                       file="papers/survey.pdf", marking=Document.Marking.PUBLIC), Audience.GROUP_MEMBERS
    if event == Event.REVIEW_DUE:
        # Told to the secretariat about a person's profile; sent to the member here to read it.
        return cast.outsider.profile, Audience.PERSON
    if event.startswith("action_item_"):
        return ActionItem.objects.create(working_group=cast.group_a, meeting=meeting, text="Send the survey",
                                         owner_person=cast.member, due_on=date(2030, 7, 1)), Audience.PERSON
    if event == Event.SECOND_FACTOR_FAILURES:
        return cast.member, Audience.PERSON  # about the account itself
    return meeting, Audience.GROUP_MEMBERS


@pytest.mark.parametrize("event", Dispatch.Event.values)
@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_notice_renders_both_parts_in_both_languages(event, language, cast, group_meeting, publish):
    cast.member.profile.preferred_language = language
    cast.member.profile.save()
    target, audience = _target_for(event, cast, group_meeting)

    publish(event=event, target=target, audience=audience, person=cast.member if audience == Audience.PERSON else None,
            context={"version": 1, "comment": "Please add the costs.", "reason": "organization_full", "position": 2})

    message = mail_to(cast.member)
    assert message.subject and "\n" not in message.subject
    assert message.body.startswith("Dear ") or language == "ja"
    assert message.extra_headers["Content-Language"] == language
    assert "</html>" in html_of(message)
    assert "{{" not in message.body + html_of(message) and "{%" not in message.body + html_of(message)
    if language == "ja":
        # A digest recorded like this tells nothing (tests/notifications/test_digest.py tells more).
        assert "艦船の補修・整備" in message.subject + message.body or event in (
            Event.PAPER_ADDED, Event.DIGEST, Event.SECOND_FACTOR_FAILURES, Event.REVIEW_DUE)


@pytest.mark.parametrize("event", Dispatch.Event.values)
def test_every_notice_renders_when_the_service_gave_no_context(event, cast, group_meeting, publish):
    target, audience = _target_for(event, cast, group_meeting)

    publish(event=event, target=target, audience=audience, person=cast.member if audience == Audience.PERSON else None)

    message = mail_to(cast.member)
    assert message.subject and "</html>" in html_of(message)
    assert Delivery.objects.get(recipient=cast.member).status == Delivery.Status.SENT
