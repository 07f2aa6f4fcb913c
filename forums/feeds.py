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
        (meeting.pk, translation.get_language(), request.build_absolute_uri("/"), calendars.written_as()),
        lambda: calendars.meeting_calendar(
            calendars.with_agenda_titles(Meeting.objects.filter(pk=meeting.pk)).get(),
            absolute_uri=request.build_absolute_uri,
        ),
        request=request,
    )
    return calendar_response(content, filename=f"meeting-{meeting.pk}.ics")


# token → its owner's user id, learnt in this process: only a hint saying which person's
# account generation guards the stored feed. Whether the token is still valid is decided by
# the generations: a reset token or a deactivated account changes the profile (PEOPLE) or
# the account row (account_kind), and the feed stored for the old state is not served.
_FEED_OWNERS: dict[str, int] = {}
_FEED_OWNERS_MAX = 10_000


def _feed_dependencies(user_id: int) -> tuple[str, ...]:
    return (*page_cache.KINDS, page_cache.account_kind(user_id))


def _feed_parts(token: str, request) -> tuple:
    return (token, request.build_absolute_uri("/"), calendars.written_as())


@require_safe
def personal_feed(request, token: str):
    # Calendar programs poll; most fetches find the feed as it was: one cache read, no query.
    owner = _FEED_OWNERS.get(token)
    if owner is not None:
        content = page_cache.cached_fragment(
            "personal_feed", _feed_parts(token, request), lambda: None, depends_on=_feed_dependencies(owner),
            timeout=0,  # on a miss nothing is stored here: the person is looked up below
        )
        if content is not None:
            return calendar_response(content, filename="dicas-meetings.ics")
    # Calendar programs fetch the feed without signing in: the secret address is the key.
    profile = get_object_or_404(
        Profile.objects.select_related("user"), calendar_token=token, user__is_active=True
    )
    if len(_FEED_OWNERS) >= _FEED_OWNERS_MAX:
        _FEED_OWNERS.clear()
    _FEED_OWNERS[token] = profile.user_id
    # They send no session either, so the feed speaks the person's own language.
    with translation.override(profile.preferred_language):
        # The whole feed is kept for this person (under their own key, never shared) until a
        # meeting, a membership, a registration or their account changes; it is then rebuilt
        # from the pieces kept per meeting (calendars.cached_calendar).
        content = page_cache.cached_fragment(
            "personal_feed",
            _feed_parts(token, request),
            lambda: calendars.personal_calendar(
                calendars.personal_feed_meetings(profile.user), absolute_uri=request.build_absolute_uri
            ),
            # Without `request`: generations and feed in one round trip (a feed is too big
            # to be kept in each process's memory too).
            depends_on=_feed_dependencies(profile.user_id),
        )
    return calendar_response(content, filename="dicas-meetings.ics")
