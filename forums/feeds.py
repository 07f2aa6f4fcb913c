"""Calendar downloads: one meeting's .ics, and each person's feed behind a secret address."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from participants.models import Profile

from . import cache as page_cache
from . import calendars, selectors
from .models import Meeting
from .permissions import can_view_meeting


def calendar_response(content: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # What a person may see is theirs alone: no shared cache keeps a copy.
    patch_cache_control(response, private=True)
    return response


@require_safe
def meeting_ics(request, pk: int):
    meeting = page_cache.cached_row(request, "meeting", pk, lambda: selectors.meeting_row(pk))
    # A meeting the viewer may not see answers as if it did not exist.
    if meeting is None or not can_view_meeting(request.user, meeting, group_ids=page_cache.group_ids_of(request)):
        raise Http404
    # The same for everyone who may see the meeting (only the published agenda is in it):
    # kept until the meeting or its agenda changes.
    content = page_cache.cached_fragment(
        "meeting_ics",
        (meeting.pk, translation.get_language(), request.build_absolute_uri("/")),
        lambda: calendars.meeting_calendar(
            calendars.with_agenda_titles(Meeting.objects.filter(pk=meeting.pk)).get(),
            absolute_uri=request.build_absolute_uri,
        ),
        request=request,
    )
    return calendar_response(content, filename=f"meeting-{meeting.pk}.ics")


@require_safe
def personal_feed(request, token: str):
    # Calendar programs fetch the feed without signing in: the secret address is the key.
    profile = get_object_or_404(
        Profile.objects.select_related("user"), calendar_token=token, user__is_active=True
    )
    # They send no session either, so the feed speaks the person's own language.
    with translation.override(profile.preferred_language):
        # Calendar programs poll: the whole feed is kept for this person (under their own
        # key, never shared) until a meeting, a membership or a registration changes; it
        # is then rebuilt from the pieces kept per meeting (calendars.cached_calendar).
        content = page_cache.cached_fragment(
            "personal_feed",
            (profile.pk, token, translation.get_language(), request.build_absolute_uri("/")),
            lambda: calendars.personal_calendar(
                calendars.personal_feed_meetings(profile.user), absolute_uri=request.build_absolute_uri
            ),
            # Without `request`: generations and feed in one round trip (a feed is too big
            # to be kept in each process's memory too).
            depends_on=page_cache.KINDS,
        )
    return calendar_response(content, filename="dicas-meetings.ics")
