"""The bytes sent over SMTP (notifications/mime.py) carry the same e-mail as Django's
EmailMultiAlternatives for the same delivery: headers, both parts, the invitation."""

import email
import email.policy

import pytest

from forums.models import Registration
from notifications.emails import NoticeRenderer
from notifications.models import Delivery, Dispatch
from notifications.services import expand_dispatch, record_dispatch
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

Event, Audience = Dispatch.Event, Dispatch.Audience
COMPARED_HEADERS = ["Subject", "From", "To", "Message-ID", "Content-Language", "Auto-Submitted",
                    "List-Unsubscribe", "List-Unsubscribe-Post"]


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def both(dispatch: Dispatch, person) -> tuple[email.message.EmailMessage, email.message.EmailMessage]:
    expand_dispatch(dispatch_id=dispatch.pk)
    delivery = Delivery.objects.select_related("recipient__profile").get(dispatch=dispatch, recipient=person)
    renderer = NoticeRenderer(dispatch)
    django_made = parsed(renderer.message_for(delivery).message().as_bytes())
    sender, recipients, data = renderer.envelope_for(delivery)
    assert (sender, recipients) == ("no-reply@dicas-portal.example", [person.email])
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    return django_made, parsed(data)


def assert_same(django_made, wire) -> None:
    for name in COMPARED_HEADERS:
        # (The e-mail package folds a long encoded subject after "Subject:", leaving a space.)
        assert (wire[name] or "").strip() == (django_made[name] or "").strip(), name
    assert wire.get_content_type() == django_made.get_content_type()
    for kind in ("plain", "html"):
        # On the wire both end their lines with CRLF; Django's as_bytes() here does not.
        wire_body = wire.get_body((kind,)).get_content().replace("\r\n", "\n")
        assert wire_body == django_made.get_body((kind,)).get_content(), kind
    wire_files = [(part.get_content_type(), part.get_param("method"), part.get_filename(), part.get_content())
                  for part in wire.iter_attachments()]
    django_files = [(part.get_content_type(), part.get_param("method"), part.get_filename(), part.get_content())
                    for part in django_made.iter_attachments()]
    assert wire_files == django_files


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_notice_is_the_same_e_mail_either_way(cast, group_meeting, language):
    profile = cast.member.profile
    profile.preferred_language, profile.full_name_ja = language, "山田 太郎"
    profile.save()

    django_made, wire = both(record_dispatch(event=Event.MINUTES_PUBLISHED, target=group_meeting,
                                             audience=Audience.GROUP_MEMBERS), cast.member)

    assert_same(django_made, wire)
    assert wire.get_content_type() == "multipart/alternative"
    assert wire["Date"] is not None


def test_an_invitation_is_the_same_either_way(cast, group_meeting):
    registration = RegistrationFactory(meeting=group_meeting, person=cast.member, status=Registration.Status.CONFIRMED)

    django_made, wire = both(record_dispatch(event=Event.REGISTRATION_CONFIRMED, target=registration,
                                             audience=Audience.PERSON, person=cast.member), cast.member)

    assert_same(django_made, wire)
    assert wire.get_content_type() == "multipart/mixed"
    [invitation] = wire.iter_attachments()
    assert invitation.get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in invitation.get_content()


def test_a_body_line_too_long_for_8bit_goes_through_djangos_encoder(cast, group_meeting):
    dispatch = record_dispatch(event=Event.MINUTES_RETURNED, target=group_meeting, audience=Audience.GROUP_MEMBERS,
                               context={"comment": "x" * 1200})

    django_made, wire = both(dispatch, cast.member)

    assert "x" * 1200 in wire.get_body(("plain",)).get_content()
    assert wire.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"
