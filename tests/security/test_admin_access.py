"""The Django admin is for administrators (superusers) only, and even they cannot change
there what a service owns: a meeting edited in the admin would skip the notices and the
calendars' SEQUENCE. The secretariat runs meetings from the portal's pages."""

import pytest
from django.contrib import admin
from django.test import Client

from forums.models import AgendaItem, Document, Meeting, Registration
from tests.factories import MeetingFactory, UserFactory, confirm_email
from working_groups.models import ActionItem

pytestmark = pytest.mark.django_db

SERVICE_OWNED = [Meeting, AgendaItem, Document, Registration, ActionItem]


@pytest.fixture
def administrator():
    return confirm_email(UserFactory(is_staff=True, is_superuser=True))


def test_the_admin_refuses_the_secretariat_even_with_staff_status(cast):
    cast.secretariat.is_staff = True
    cast.secretariat.save()
    meeting = MeetingFactory(venue_en="Ichigaya")
    client = Client()
    client.force_login(cast.secretariat)

    for path in ["/admin/", "/admin/forums/meeting/", f"/admin/forums/meeting/{meeting.pk}/change/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login/" in response["Location"], path
    client.post(f"/admin/forums/meeting/{meeting.pk}/change/", {"venue_en": "Pentagon"})
    meeting.refresh_from_db()
    assert meeting.venue_en == "Ichigaya"


def test_the_secretariat_gets_a_new_meeting_link_and_no_admin_link(client, cast):
    client.force_login(cast.secretariat)
    page = client.get("/meetings/").content.decode()
    assert 'href="/meetings/new/"' in page
    assert 'href="/admin/"' not in page


def test_editing_a_meeting_in_the_admin_is_impossible(administrator):
    meeting = MeetingFactory(venue_en="Ichigaya", sequence=0)
    client = Client()
    client.force_login(administrator)

    shown = client.get(f"/admin/forums/meeting/{meeting.pk}/change/")
    assert shown.status_code == 200  # read, as it stands
    assert 'name="_save"' not in shown.content.decode()
    refused = client.post(f"/admin/forums/meeting/{meeting.pk}/change/",
                          {"venue_en": "Pentagon", "_save": "Save"})
    assert refused.status_code == 403
    assert client.get("/admin/forums/meeting/add/").status_code == 403
    assert client.post(f"/admin/forums/meeting/{meeting.pk}/delete/", {"post": "yes"}).status_code == 403
    meeting.refresh_from_db()
    assert (meeting.venue_en, meeting.sequence) == ("Ichigaya", 0)


@pytest.mark.parametrize("model", SERVICE_OWNED, ids=lambda model: model.__name__)
def test_what_a_service_owns_is_read_only_in_the_admin(rf, administrator, model):
    request = rf.get("/admin/")
    request.user = administrator
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    for inline in model_admin.get_inline_instances(request):
        assert not inline.has_change_permission(request)
