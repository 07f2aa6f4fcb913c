from django.http import Http404
from django.shortcuts import get_object_or_404, render

from . import selectors
from .models import Meeting
from .permissions import can_view_meeting

HOME_UPCOMING_COUNT = 6


def home(request):
    forum = selectors.the_forum()
    return render(
        request,
        "forums/home.html",
        {
            "forum": forum,
            "upcoming": selectors.upcoming_meetings_for(request.user, limit=HOME_UPCOMING_COUNT),
        },
    )


def meeting_detail(request, pk: int):
    meeting = get_object_or_404(
        Meeting.objects.select_related("working_group", "venue_country", "forum"), pk=pk
    )
    # A meeting the viewer may not see answers as if it did not exist.
    if not can_view_meeting(request.user, meeting):
        raise Http404
    return render(
        request,
        "forums/meeting_detail.html",
        {"meeting": meeting, "agenda_items": meeting.agenda_items.select_related("presenter_organization")},
    )
