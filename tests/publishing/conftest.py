"""Fixtures of the publishing tests: a scheduled plenary everyone signed in may see, and
a meeting of group A that only its members (and the staff) see."""

import pytest

from forums.models import Meeting
from notifications.models import Dispatch
from tests.factories import MeetingFactory

ROLES = ("anonymous", "industry", "outsider", "member", "cochair", "secretariat")


@pytest.fixture
def plenary(cast) -> Meeting:
    return MeetingFactory(title_en="Third DICAS plenary", visibility=Meeting.Visibility.PARTICIPANTS)


@pytest.fixture
def group_meeting(cast) -> Meeting:
    return MeetingFactory(
        title_en="Ship repair working group",
        kind=Meeting.Kind.WORKING_GROUP,
        working_group=cast.group_a,
        visibility=Meeting.Visibility.GROUP_MEMBERS,
    )


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def sign_in(client, person):
    if person is not None:
        client.force_login(person)
    return client


def dispatches(event: str) -> list[Dispatch]:
    return list(Dispatch.objects.filter(event=event).order_by("pk"))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
