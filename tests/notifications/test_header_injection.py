"""Penetration test, finding 7: a CR/LF in a profile name injected mail headers. Every
name field refuses control characters, and the MIME writer cannot emit a raw line break
inside a header whatever it is given."""

import email
import email.policy

import pytest

from forums.models import Meeting
from notifications.emails import NoticeRenderer
from notifications.mime import address_header, encoded_header, format_address
from notifications.models import Delivery, Dispatch
from notifications.services import expand_dispatch, record_dispatch
from participants.models import Profile
from tests.accounts.test_signup import PROFILE_STEP, organizations, profile_data  # noqa: F401
from tests.factories import MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db

INJECTED = "Mallory\r\nBcc: everyone@example.org"


@pytest.mark.parametrize("field", ["full_name", "full_name_ja", "job_title"])
@pytest.mark.parametrize("value", [INJECTED, "Mallory\nBcc: x@example.org", "Mallory\x00", "Mal\tlory"])
def test_the_profile_step_refuses_control_characters_in_a_name(client, organizations, field, value):  # noqa: F811
    person = UserFactory()
    client.force_login(person)

    response = client.post(PROFILE_STEP, profile_data(**{field: value, "organization": organizations["seto"].pk}),
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Profile.objects.filter(user=person).exists()


def test_a_name_stored_with_a_line_break_injects_no_header(cast):
    meeting = MeetingFactory(title_en="Ship repair", kind=Meeting.Kind.WORKING_GROUP,
                             working_group=cast.group_a, visibility=Meeting.Visibility.GROUP_MEMBERS)
    profile = cast.member.profile
    # As an older version of the portal, or a script, could have stored it.
    Profile.objects.filter(pk=profile.pk).update(full_name=INJECTED, full_name_ja="")
    dispatch = record_dispatch(event=Dispatch.Event.MINUTES_PUBLISHED, target=meeting,
                               audience=Dispatch.Audience.GROUP_MEMBERS)
    expand_dispatch(dispatch_id=dispatch.pk)
    delivery = Delivery.objects.select_related("recipient__profile").get(dispatch=dispatch, recipient=cast.member)

    _sender, recipients, data = NoticeRenderer(dispatch).envelope_for(delivery)

    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message["Bcc"] is None
    assert recipients == [cast.member.email]
    assert cast.member.email in message["To"]
    assert b"\n" not in data.replace(b"\r\n", b"")


@pytest.mark.parametrize("value", [INJECTED, "日本\r\nBcc: x@example.org", "a\rb", "a\nb", "x\x00y"])
def test_the_header_writer_never_emits_a_raw_line_break(value):
    for line in (encoded_header("Subject", value), address_header("To", format_address(value, "a@example.org"))):
        unfolded = line.replace(b"\r\n ", b" ").replace(b"\r\n\t", b"\t")
        assert b"\r" not in unfolded and b"\n" not in unfolded and b"\x00" not in unfolded
        parsed = email.message_from_bytes(line + b"\r\n\r\n", policy=email.policy.default)
        assert parsed["Bcc"] is None


def test_the_models_refuse_control_characters_in_names_whatever_form_sends_them(cast):
    from django.core.exceptions import ValidationError

    from participants.models import Organization

    profile = cast.member.profile
    profile.full_name = INJECTED
    with pytest.raises(ValidationError) as refused:
        profile.full_clean(validate_unique=False, validate_constraints=False)
    assert "full_name" in refused.value.message_dict
    organization = Organization(name="Evil\r\nBcc: x@example.org", kind=Organization.Kind.INDUSTRY,
                                country=profile.organization.country)
    with pytest.raises(ValidationError):
        organization.full_clean()
