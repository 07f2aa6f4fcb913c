"""Finding 4 (medium): an anonymous visitor recovered an unpublished agenda item's title letter
by letter from the schedule's `q` filter."""

import pytest

from forums.models import Meeting
from forums.services.agenda import publish_agenda
from tests.factories import AgendaItemFactory, MeetingFactory

pytestmark = pytest.mark.django_db


# Finding 4: draft agenda titles through the schedule search ---------------------------------------


def schedule_titles(client, text: str) -> list[str]:
    return [meeting.title_en for meeting in client.get("/meetings/", {"q": text}).context["page"]]


def test_the_schedule_search_finds_no_draft_agenda_item(client, cast):
    plenary = MeetingFactory(title_en="Third plenary", visibility=Meeting.Visibility.PUBLIC)
    AgendaItemFactory(meeting=plenary, title_en="Opening remarks")
    publish_agenda(meeting=plenary, by=cast.secretariat)
    AgendaItemFactory(meeting=plenary, title_en="Relocation of the Yokosuka dry dock")

    assert schedule_titles(client, "Yokosuka") == []
    assert schedule_titles(client, "Yokosu") == []
    assert schedule_titles(client, "Opening remarks") == ["Third plenary"]
    publish_agenda(meeting=plenary, by=cast.secretariat)
    assert schedule_titles(client, "Yokosuka") == ["Third plenary"]
