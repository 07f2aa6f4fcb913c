"""The agenda builder: the secretariat adds, edits, reorders and removes items on the
meeting page (without JavaScript), publishes numbered versions, and a republication records
exactly what changed. Readers only ever see the last published version."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forums.models import AgendaItem, AgendaVersion, Meeting
from forums.services import agenda as agenda_services
from notifications.models import Dispatch
from tests.factories import ActionItemFactory, AgendaItemFactory, MeetingFactory
from tests.publishing.conftest import dispatches, messages_of, sign_in
from working_groups.models import ActionItem

pytestmark = pytest.mark.django_db


def titles_on_page(response) -> list[str]:
    return [entry.item.title_en for entry in response.context["agenda"]]


def add(client, meeting, **fields):
    data = {"title_en": "Item", "duration_minutes": "30", **fields}
    return client.post(reverse("forums:agenda_item_add", args=[meeting.pk]), data)


def move(client, item, direction):
    return client.post(reverse("forums:agenda_item_move", args=[item.pk]), {"direction": direction})


def order(meeting) -> list[str]:
    return list(meeting.agenda_items.order_by("position").values_list("title_en", flat=True))


# The builder ---------------------------------------------------------------------------


def test_the_secretariat_sees_the_builder_with_clear_buttons(client, cast, plenary):
    AgendaItemFactory(meeting=plenary, position=1, title_en="Opening remarks")
    AgendaItemFactory(meeting=plenary, position=2, title_en="Ship repair")
    page = sign_in(client, cast.secretariat).get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.context["agenda_builder"] is True
    for label in ("Add item", "Move up", "Move down", "Edit item", "Remove item", "Publish agenda",
                  "Add “Review of action items”"):
        assert label in html, label
    assert "Not published yet" in html


@pytest.mark.parametrize("role", ["industry", "outsider", "member", "cochair"])
def test_nobody_else_gets_the_builder(client, cast, plenary, role):
    AgendaItemFactory(meeting=plenary, position=1, title_en="Opening remarks")
    page = sign_in(client, cast.roles()[role]).get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert not page.context.get("agenda_builder")
    assert "Publish agenda" not in page.content.decode()


def test_adding_items_through_the_page_puts_them_at_the_end_with_running_start_times(client, cast, plenary):
    sign_in(client, cast.secretariat)
    response = add(client, plenary, title_en="Opening remarks", title_ja="開会挨拶", presenter="Co-chairs",
                   duration_minutes="20", notes="Both co-chairs speak.")
    assert response.status_code == 302 and response["Location"].endswith("#agenda")
    add(client, plenary, title_en="Ship repair", duration_minutes="40")
    assert order(plenary) == ["Opening remarks", "Ship repair"]
    first = plenary.agenda_items.get(title_en="Opening remarks")
    assert (first.title_ja, first.presenter, first.notes) == ("開会挨拶", "Co-chairs", "Both co-chairs speak.")

    page = client.get(plenary.get_absolute_url())
    agenda = page.context["agenda"]
    assert [entry.starts_at for entry in agenda] == [plenary.starts_at, plenary.starts_at + timedelta(minutes=20)]
    assert page.context["agenda_length_minutes"] == 60
    assert not page.context["agenda_overruns"]


def test_a_presenting_organisation_can_be_named(client, cast, plenary):
    organization = cast.member.profile.organization
    sign_in(client, cast.secretariat)
    add(client, plenary, title_en="Co-production", presenter_organization=str(organization.pk))
    assert plenary.agenda_items.get().presenter_organization == organization


def test_an_invalid_item_is_shown_again_with_its_errors(client, cast, plenary):
    response = add(sign_in(client, cast.secretariat), plenary, title_en="", duration_minutes="0")
    assert response.status_code == 400
    html = response.content.decode()
    assert "usa-error-message" in html and 'aria-invalid="true"' in html
    assert not plenary.agenda_items.exists()


def test_an_overrunning_agenda_is_warned_about(client, cast, plenary):
    AgendaItemFactory(meeting=plenary, position=1, duration_minutes=4 * 60)  # the meeting lasts 3 hours
    page = sign_in(client, cast.secretariat).get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["agenda_overruns"]
    assert "The agenda runs longer than the meeting." in page.content.decode()


def test_items_move_up_and_down_and_not_past_the_ends(client, cast, plenary):
    first = AgendaItemFactory(meeting=plenary, position=1, title_en="A")
    AgendaItemFactory(meeting=plenary, position=2, title_en="B")
    third = AgendaItemFactory(meeting=plenary, position=3, title_en="C")
    sign_in(client, cast.secretariat)

    assert move(client, third, "up").status_code == 302
    assert order(plenary) == ["A", "C", "B"]
    move(client, first, "down")
    assert order(plenary) == ["C", "A", "B"]

    response = move(client, third, "up")  # already first
    assert "The item is already at that end of the agenda." in messages_of(client.get(response["Location"]))
    assert order(plenary) == ["C", "A", "B"]
    assert move(client, third, "sideways").status_code == 400


def test_an_item_is_edited_and_removed(client, cast, plenary):
    item = AgendaItemFactory(meeting=plenary, position=1, title_en="Opening", duration_minutes=30)
    AgendaItemFactory(meeting=plenary, position=2, title_en="Closing")
    sign_in(client, cast.secretariat)
    edit_url = reverse("forums:agenda_item_edit", args=[item.pk])
    assert client.get(edit_url).status_code == 200
    client.post(edit_url, {"title_en": "Opening remarks", "duration_minutes": "45"})
    item.refresh_from_db()
    assert (item.title_en, item.duration_minutes) == ("Opening remarks", 45)

    client.post(reverse("forums:agenda_item_remove", args=[item.pk]))
    assert order(plenary) == ["Closing"]


@pytest.mark.parametrize("role", ["anonymous", "industry", "outsider", "member", "cochair"])
def test_only_the_secretariat_changes_an_agenda_and_the_others_are_refused_with_a_reason(client, cast, plenary, role):
    plenary.visibility = Meeting.Visibility.PUBLIC
    plenary.save()
    item = AgendaItemFactory(meeting=plenary, position=1, title_en="A")
    AgendaItemFactory(meeting=plenary, position=2, title_en="B")
    sign_in(client, cast.roles()[role])
    attempts = [
        add(client, plenary, title_en="Sneaked in"),
        client.get(reverse("forums:agenda_item_add", args=[plenary.pk])),
        client.post(reverse("forums:agenda_item_edit", args=[item.pk]), {"title_en": "Changed", "duration_minutes": "5"}),
        move(client, item, "down"),
        client.post(reverse("forums:agenda_item_remove", args=[item.pk])),
        client.post(reverse("forums:agenda_publish", args=[plenary.pk])),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert "Only the secretariat builds and publishes agendas." in response.content.decode()
    assert order(plenary) == ["A", "B"]
    assert not AgendaVersion.objects.exists() and not Dispatch.objects.exists()


def test_a_meeting_the_person_may_not_see_answers_404(client, cast, group_meeting):
    item = AgendaItemFactory(meeting=group_meeting, position=1)
    sign_in(client, cast.outsider)
    assert add(client, group_meeting).status_code == 404
    assert move(client, item, "up").status_code == 404
    assert client.post(reverse("forums:agenda_publish", args=[group_meeting.pk])).status_code == 404


def test_the_builder_actions_refuse_the_wrong_method(client, cast, plenary):
    item = AgendaItemFactory(meeting=plenary, position=1)
    sign_in(client, cast.secretariat)
    assert client.get(reverse("forums:agenda_item_move", args=[item.pk])).status_code == 405
    assert client.get(reverse("forums:agenda_item_remove", args=[item.pk])).status_code == 405
    assert client.get(reverse("forums:agenda_publish", args=[plenary.pk])).status_code == 405
    assert client.put(reverse("forums:agenda_item_add", args=[plenary.pk])).status_code == 405


# Publishing ----------------------------------------------------------------------------


def test_publishing_freezes_version_1_and_tells_the_meetings_viewers(client, cast, plenary):
    AgendaItemFactory(meeting=plenary, position=1, title_en="Opening")
    response = sign_in(client, cast.secretariat).post(reverse("forums:agenda_publish", args=[plenary.pk]))
    assert response.status_code == 302
    version = AgendaVersion.objects.get(meeting=plenary)
    assert version.number == 1 and version.published_by == cast.secretariat
    assert [entry["title_en"] for entry in version.items] == ["Opening"]
    [dispatch] = dispatches(Dispatch.Event.AGENDA_PUBLISHED)
    assert dispatch.target == plenary and dispatch.audience == Dispatch.Audience.MEETING_VIEWERS


def test_readers_see_no_draft_agenda_before_publication(client, cast, plenary):
    AgendaItemFactory(meeting=plenary, position=1, title_en="Secret draft item")
    page = sign_in(client, cast.outsider).get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert "Secret draft item" not in page.content.decode()
    assert "The agenda has not been published yet." in page.content.decode()


def test_readers_keep_seeing_the_published_version_while_the_next_is_drafted(client, cast, plenary):
    item = AgendaItemFactory(meeting=plenary, position=1, title_en="Opening")
    agenda_services.publish_agenda(meeting=plenary, by=cast.secretariat)
    agenda_services.add_agenda_item(meeting=plenary, by=cast.secretariat, title_en="Draft addition", duration_minutes=10)
    agenda_services.update_agenda_item(item=item, by=cast.secretariat, title_en="Opening (renamed in draft)")

    reader = sign_in(client, cast.outsider).get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert titles_on_page(reader) == ["Opening"]
    assert "Draft addition" not in reader.content.decode()

    client.force_login(cast.secretariat)
    builder = client.get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert titles_on_page(builder) == ["Opening (renamed in draft)", "Draft addition"]
    assert builder.context["agenda_has_unpublished_changes"]
    assert "This draft has changes readers do not see yet." in builder.content.decode()


def test_republishing_records_exactly_the_additions_removals_moves_and_retimings(client, cast, plenary):
    a = AgendaItemFactory(meeting=plenary, position=1, title_en="A", title_ja="エー", duration_minutes=30)
    b = AgendaItemFactory(meeting=plenary, position=2, title_en="B", duration_minutes=30)
    AgendaItemFactory(meeting=plenary, position=3, title_en="C", duration_minutes=30)
    d = AgendaItemFactory(meeting=plenary, position=4, title_en="D", duration_minutes=30)
    sign_in(client, cast.secretariat)
    client.post(reverse("forums:agenda_publish", args=[plenary.pk]))

    client.post(reverse("forums:agenda_item_remove", args=[b.pk]))                # remove B
    add(client, plenary, title_en="E", duration_minutes="10")                      # add E at the end
    move(client, d, "up")                                                          # D to the top
    move(client, d, "up")
    client.post(reverse("forums:agenda_item_edit", args=[a.pk]),                   # retime A
                {"title_en": "A", "title_ja": "エー", "duration_minutes": "45"})
    assert order(plenary) == ["D", "A", "C", "E"]
    e = plenary.agenda_items.get(title_en="E")

    builder = client.get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert "What publishing now will record" in builder.content.decode()
    client.post(reverse("forums:agenda_publish", args=[plenary.pk]))

    version = AgendaVersion.objects.get(meeting=plenary, number=2)
    assert version.changes == {
        "added": [{"id": e.pk, "title_en": "E", "title_ja": "", "position": 4}],
        "removed": [{"id": b.pk, "title_en": "B", "title_ja": "", "position": 2}],
        "moved": [{"id": d.pk, "title_en": "D", "title_ja": "", "from": 4, "to": 1}],
        "retimed": [{"id": a.pk, "title_en": "A", "title_ja": "エー", "from": 30, "to": 45}],
    }
    [dispatch] = dispatches(Dispatch.Event.AGENDA_CHANGED)
    assert dispatch.context["changes"] == version.changes and dispatch.context["version"] == 2

    reader = sign_in(client, cast.outsider).get(plenary.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    html = reader.content.decode()
    assert titles_on_page(reader) == ["D", "A", "C", "E"]
    assert "Changes in version 2" in html
    for line in ("Added: “E” (item 4)", "Removed: “B” (was item 2)", "Moved: “D” from item 4 to item 1",
                 "Retimed: “A” from 30 to 45 minutes"):
        assert line in html, line
    assert "Edited:" not in html
    # The same summary in Japanese, with the Japanese title where there is one.
    cast.outsider.profile.preferred_language = "ja"
    cast.outsider.profile.save()
    japanese = client.get(plenary.get_absolute_url()).content.decode()
    assert '<html lang="ja">' in japanese and "「エー」" in japanese and "時間変更" in japanese


def test_republishing_without_a_change_is_refused_and_records_nothing(client, cast, plenary):
    AgendaItemFactory(meeting=plenary, position=1)
    sign_in(client, cast.secretariat)
    client.post(reverse("forums:agenda_publish", args=[plenary.pk]))
    response = client.post(reverse("forums:agenda_publish", args=[plenary.pk]), follow=True)
    assert "Nothing has changed since version 1 was published." in messages_of(response)
    assert AgendaVersion.objects.filter(meeting=plenary).count() == 1
    assert len(dispatches(Dispatch.Event.AGENDA_CHANGED)) == 0


def test_an_empty_agenda_is_not_published(cast, plenary):
    with pytest.raises(ValidationError):
        agenda_services.publish_agenda(meeting=plenary, by=cast.secretariat)
    with pytest.raises(PermissionDenied):
        agenda_services.publish_agenda(meeting=plenary, by=cast.cochair)


def test_the_published_version_keeps_what_it_said_after_the_draft_changes(cast, plenary):
    item = AgendaItemFactory(meeting=plenary, position=1, title_en="Opening", duration_minutes=30)
    version = agenda_services.publish_agenda(meeting=plenary, by=cast.secretariat)
    agenda_services.remove_agenda_item(item=item, by=cast.secretariat)
    version.refresh_from_db()
    assert version.items[0]["title_en"] == "Opening" and version.items[0]["duration_minutes"] == 30


# What counts as a change ---------------------------------------------------------------


def snapshot(*entries):
    return [{"id": entry_id, "title_en": title, "title_ja": "", "presenter": "", "organization_id": None,
             "notes": "", "reviews_action_items": False, "duration_minutes": minutes}
            for entry_id, title, minutes in entries]


def test_an_addition_at_the_top_moves_nothing_else():
    before = snapshot((1, "A", 30), (2, "B", 30))
    after = snapshot((3, "New", 10), (1, "A", 30), (2, "B", 30))
    assert agenda_services.agenda_changes(before, after) == {
        "added": [{"id": 3, "title_en": "New", "title_ja": "", "position": 1}]
    }


def test_swapping_neighbours_reports_the_one_that_went_up():
    before = snapshot((1, "A", 30), (2, "B", 30), (3, "C", 30))
    after = snapshot((2, "B", 30), (1, "A", 30), (3, "C", 30))
    assert agenda_services.agenda_changes(before, after) == {
        "moved": [{"id": 2, "title_en": "B", "title_ja": "", "from": 2, "to": 1}]
    }


def test_a_renamed_item_is_edited_not_moved_or_retimed():
    before = snapshot((1, "A", 30))
    after = snapshot((1, "A (revised)", 30))
    assert agenda_services.agenda_changes(before, after) == {
        "edited": [{"id": 1, "title_en": "A (revised)", "title_ja": "", "fields": ["title_en"]}]
    }


# Review of action items ----------------------------------------------------------------


def test_a_review_item_lists_the_groups_open_action_items_to_those_who_may_see_them(client, cast, group_meeting):
    ActionItemFactory(working_group=cast.group_a, text="Share the maintenance schedule")
    ActionItemFactory(working_group=cast.group_a, text="Already done", status=ActionItem.Status.DONE)
    ActionItemFactory(working_group=cast.group_b, text="Another group's item")
    sign_in(client, cast.secretariat)
    client.post(reverse("forums:agenda_item_add", args=[group_meeting.pk]), {
        "title_en": "Review of action items", "title_ja": "アクションアイテムの確認",
        "duration_minutes": "15", "reviews_action_items": "on",
    })
    client.post(reverse("forums:agenda_publish", args=[group_meeting.pk]))

    html = sign_in(client, cast.member).get(group_meeting.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Review of action items" in html
    assert "Share the maintenance schedule" in html
    assert "Already done" not in html and "Another group&#x27;s item" not in html


def test_a_review_item_on_a_public_plenary_shows_no_action_item_to_visitors(client, cast):
    plenary = MeetingFactory(visibility=Meeting.Visibility.PUBLIC)
    ActionItemFactory(working_group=cast.group_a, text="Share the maintenance schedule")
    AgendaItemFactory(meeting=plenary, position=1, title_en="Review of action items", reviews_action_items=True)
    agenda_services.publish_agenda(meeting=plenary, by=cast.secretariat)
    assert "Share the maintenance schedule" not in client.get(plenary.get_absolute_url()).content.decode()
    cochair_page = sign_in(client, cast.cochair).get(plenary.get_absolute_url()).content.decode()
    assert "Share the maintenance schedule" in cochair_page


# Query counts --------------------------------------------------------------------------


def fill_agenda(meeting, count):
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=position, title_en=f"Item {position}", duration_minutes=1,
                   reviews_action_items=position == 1)
        for position in range(1, count + 1)
    )


@pytest.mark.parametrize("count", [5, 500])
def test_the_builder_page_takes_the_same_queries_for_5_and_500_items(client, cast, plenary, count, django_assert_max_num_queries):
    fill_agenda(plenary, count)
    agenda_services.publish_agenda(meeting=plenary, by=cast.secretariat)
    AgendaItem.objects.filter(meeting=plenary, position=2).update(duration_minutes=2)
    sign_in(client, cast.secretariat)
    with django_assert_max_num_queries(20):
        response = client.get(plenary.get_absolute_url())
    assert len(response.context["agenda"]) == count


@pytest.mark.parametrize("count", [5, 500])
def test_the_published_agenda_takes_the_same_queries_for_5_and_500_items(client, cast, plenary, count, django_assert_max_num_queries):
    fill_agenda(plenary, count)
    agenda_services.publish_agenda(meeting=plenary, by=cast.secretariat)
    sign_in(client, cast.member)
    with django_assert_max_num_queries(20):
        response = client.get(plenary.get_absolute_url())
    assert len(response.context["agenda"]) == count
