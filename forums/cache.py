"""Rendered fragments that are the same for everyone who may see them, kept in the cache.

What may be shared, and with whom, is in the key: the fragment's name, the language, the
viewer's time zone, the viewer's *visibility class* (`visibility_class`: anonymous, the
set of working groups of a participant, co-chair, secretariat) and the page's own
parameters. Nothing personal goes into a shared fragment: no CSRF token, no name of the
viewer, no registration of theirs (those parts of a page are rendered per request).

Invalidation is by *generation*: each kind of content (meetings, people, registrations)
has a number in the cache, and every stored fragment carries the numbers it was rendered
under. A change bumps the number (`content_changed`), at once and again after its
transaction commits, so that a fragment rendered from the rows as they were before the
commit is never served afterwards. The model signals at the bottom bump it for every
save and delete, whichever code made it (services, the admin, a management command).
Code that changes what pages show with `QuerySet.update()` or `bulk_create()` must call
`content_changed` itself (load_bench_data does; the agenda builder's moves change only
the draft, which is never cached).

The shared cache is Redis when `CACHE_URL` (or `REDIS_CACHE_URL`) is set, local memory
in development, and nothing in a production portal without Redis (settings.py). A page
reads every generation once (one round trip) and takes its fragments from a copy kept in
the process's memory when that copy was rendered under the same generations. A cache
that fails is logged and left alone for a few seconds: pages are rendered as if nothing
were cached, and every generation is bumped when it answers again.

Per person, under keys of their own and never shared: their working groups, the meetings
they registered for, their calendar feed; and, in each process's memory only, their account
row and profile (`SignedInUserMiddleware`), checked against a generation of their own. Code
that changes accounts or profiles with `QuerySet.update()` must call
`content_changed(account_kind(user_id))` for each.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.safestring import SafeString, mark_safe

from prometheus_client import Counter

from participants.permissions import (
    is_participant,
    is_secretariat,
    role_of,
    sees_every_meeting,
    verified_organization_id,
)

logger = logging.getLogger(__name__)

# Lookups of rendered fragments, for the hit rate on /metrics (dicas_portal/metrics.py):
# "hit" from the process's memory or the shared cache, "miss" rendered, "unavailable"
# rendered because the cache was down.
FRAGMENT_LOOKUPS = Counter("dicas_fragment_cache_lookups", "Lookups of rendered fragments in the cache.",
                           ["result"], registry=None)

CACHE_ALIAS = "fragments"
PREFIX = "portal"

# The kinds of content a fragment may be rendered from.
MEETINGS = "meetings"  # meetings, agendas, minutes, papers, action items, working groups, the forum
PEOPLE = "people"  # profiles, organisations, memberships
REGISTRATIONS = "registrations"
# Bumped only with every kind at once (after an outage of the cache): each person's own
# account has a generation of its own (`account_kind`), so that one person signing in
# does not send everyone else's request to the database.
ACCOUNTS = "accounts"
KINDS = (MEETINGS, PEOPLE, REGISTRATIONS, ACCOUNTS)

# A fragment is kept at most this long even if nothing changes: a safety net, not the
# invalidation (which is the generation).
DEFAULT_TIMEOUT = 60 * 60


# After a failure the cache is left alone this long: while it is down (or slow to answer)
# every page would otherwise wait for it, and every change made while it was away is
# followed, once it answers again, by a bump of every generation.
OUTAGE_PAUSE_SECONDS = 5.0


def available_cache():
    """The fragments cache, or None while it is taken to be down (or is configured to
    keep nothing: a production portal without a shared cache)."""
    cache = caches[CACHE_ALIAS]
    if isinstance(cache, DummyCache):
        return None
    down_until = getattr(cache, "_portal_down_until", None)
    if down_until is None:
        return cache
    if time.monotonic() < down_until:
        return None
    # Back: whatever changed meanwhile was not counted, so nothing stored before counts.
    cache._portal_down_until = None
    _bump_now(KINDS)
    return caches[CACHE_ALIAS] if getattr(cache, "_portal_down_until", None) is None else None


def cache_failed(what: str) -> None:
    """Called when a call to the fragments cache raised: it is left alone for a while."""
    logger.warning("the cache failed (%s); pages are rendered without it for %s s", what, OUTAGE_PAUSE_SECONDS,
                   exc_info=True)
    caches[CACHE_ALIAS]._portal_down_until = time.monotonic() + OUTAGE_PAUSE_SECONDS


def _generation_key(kind: str) -> str:
    return f"{PREFIX}:generation:{kind}"


def _fresh_generation() -> int:
    # A new series must never meet a value an old series stored (after a restart or an
    # eviction of the counter): start from the clock.
    return time.time_ns()


# Bumps made by this process: a request's snapshot of the generations taken before one is stale.
_bumps_here = 0


def _bump_now(kinds: Iterable[str]) -> None:
    global _bumps_here
    _bumps_here += 1
    cache = caches[CACHE_ALIAS]
    if getattr(cache, "_portal_down_until", None) is not None:
        return  # counted when the cache is back (available_cache)
    try:
        for kind in kinds:
            key = _generation_key(kind)
            try:
                cache.incr(key)
            except ValueError:  # not there yet (or evicted): a fresh series
                if not cache.add(key, _fresh_generation(), timeout=None):
                    cache.incr(key)
    except Exception:  # noqa: BLE001 — a cache outage must not break a change
        cache_failed("bumping a generation")


def content_changed(*kinds: str) -> None:
    """Stored fragments rendered from these kinds of content (all kinds if none given)
    are no longer served: now, and again once the current transaction commits (a
    request between the two may have rendered the rows as they were before it)."""
    kinds = kinds or KINDS
    _bump_now(kinds)
    transaction.on_commit(lambda: _bump_now(kinds), robust=True)


def _generations(cache, kinds: tuple[str, ...], found: dict) -> tuple[int, ...]:
    generations = []
    for kind in kinds:
        value = found.get(_generation_key(kind))
        if value is None:
            value = _fresh_generation()
            if not cache.add(_generation_key(kind), value, timeout=None):
                value = cache.get(_generation_key(kind), value)
        generations.append(value)
    return tuple(generations)


def account_kind(user_id) -> str:
    """The generation of one person's account row and profile (`SignedInUserMiddleware`)."""
    return f"account:{user_id}"


def _session_to_preload(session, cache):
    """The session, when it is still to be read from this same cache (production: both
    in the one Redis database) by a store that takes it read by someone else
    (dicas_portal/session_store.py)."""
    if session is None or not hasattr(session, "preload") or not session.can_preload():
        return None
    if settings.CACHES.get(settings.SESSION_CACHE_ALIAS) != settings.CACHES.get(CACHE_ALIAS):
        return None
    return session


def _session_user_key(session_key: str) -> str:
    return f"{PREFIX}:session-user:{session_key}"


def _signed_in_kinds(session, preloading: bool) -> tuple[str, ...]:
    """The generation of the signed-in person's account. While their session is still to be
    read, whom it named the last time this process read it (a guess, checked against the
    session by `_user_from_memory`, so that both come in the same round trip)."""
    if session is None:
        return ()
    if preloading:
        user_id = caches[SIGNED_IN_ALIAS].get(_session_user_key(session.session_key))
    else:
        user_id = session.get(SESSION_KEY)
    return (account_kind(user_id),) if user_id is not None else ()


def _snapshot(request, cache) -> dict[str, int]:
    """Every generation, read once per request: one round trip for all of a page's
    fragments, the signed-in person's account and, when it is kept there, their session."""
    taken = getattr(request, "_portal_generations", None)
    if taken is not None and taken[0] == _bumps_here:
        return taken[1]
    session = getattr(request, "session", None)
    preload = _session_to_preload(session, cache)
    kinds = (*KINDS, *_signed_in_kinds(session, preload is not None))
    keys = [_generation_key(kind) for kind in kinds]
    found = cache.get_many([*keys, preload.cache_key] if preload is not None else keys)
    if preload is not None:
        preload.preload(found.get(preload.cache_key))
    generations = dict(zip(kinds, _generations(cache, kinds, found)))
    request._portal_generations = (_bumps_here, generations)
    return generations


# Fragments are also kept in each process's memory ("fragments_local"), checked against the
# generations read from the shared cache like those kept there: a page then costs one round
# trip to Redis however many fragments it shows. Only fragments this small, so that a
# worker's memory stays small whatever pages are asked for.
LOCAL_ALIAS = "fragments_local"
LOCAL_MAX_CHARACTERS = 96 * 1024


def _small(value) -> bool:
    if isinstance(value, (str, bytes)):
        return len(value) <= LOCAL_MAX_CHARACTERS
    if isinstance(value, dict):
        return sum(len(part) for part in value.values() if isinstance(part, (str, bytes))) <= LOCAL_MAX_CHARACTERS
    return True


def _keep_locally(key: str, stored: tuple) -> None:
    """`stored` is (generations, value, expiry time or None), as kept in the shared cache."""
    if not _small(stored[1]):
        return
    expires = stored[2]
    seconds = None if expires is None else int(expires - time.time())
    if seconds is None or seconds > 0:
        caches[LOCAL_ALIAS].set(key, stored, timeout=seconds)


def _current(stored, generations: tuple[int, ...]) -> bool:
    """Whether a stored (generations, value, expiry) was rendered under these generations
    (anything else, such as an entry of an older release, is not)."""
    return isinstance(stored, tuple) and len(stored) == 3 and stored[0] == generations


def fragment_key(name: str, parts: Iterable[object]) -> str:
    digest = hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:32]
    return f"{PREFIX}:fragment:{name}:{digest}"


def cached_fragment(
    name: str,
    parts: Iterable[object],
    render: Callable[[], object],
    *,
    depends_on: tuple[str, ...] = (MEETINGS,),
    timeout: int | Callable[[], int | None] | None = DEFAULT_TIMEOUT,
    request=None,
):
    """The value `render()` returns, from the cache when one was stored under the same
    name and parts by the same generations of `depends_on`.

    `parts` must hold everything the value depends on besides that content (language,
    zone, visibility class, page parameters). `render` may return `uncacheable(value)`
    when this value must not be kept (it holds something personal this time). `timeout`
    may be a function, called after `render`, for values that go stale with time (kept
    in the process's memory too, the value lasts no longer there). With `request`, the
    generations are read once for the whole request and the value may come from the
    process's own memory.
    """
    cache = available_cache()
    key = fragment_key(name, parts)
    try:
        if cache is None:
            raise _CacheDown
        if request is not None:
            known = _snapshot(request, cache)
            generations = tuple(known[kind] for kind in depends_on)
            stored = caches[LOCAL_ALIAS].get(key)
            if _current(stored, generations):
                FRAGMENT_LOOKUPS.labels(result="hit").inc()
                return stored[1]
            stored = cache.get(key)
            if _current(stored, generations):
                _keep_locally(key, stored)
                FRAGMENT_LOOKUPS.labels(result="hit").inc()
                return stored[1]
        else:
            found = cache.get_many([*(_generation_key(kind) for kind in depends_on), key])
            generations = _generations(cache, depends_on, found)
            stored = found.get(key)
            if _current(stored, generations):
                FRAGMENT_LOOKUPS.labels(result="hit").inc()
                return stored[1]
    except Exception as error:  # noqa: BLE001 — without the cache, the page is rendered
        if not isinstance(error, _CacheDown):
            cache_failed(f"reading {name}")
        FRAGMENT_LOOKUPS.labels(result="unavailable").inc()
        value = render()
        return value.value if isinstance(value, _Uncacheable) else value
    FRAGMENT_LOOKUPS.labels(result="miss").inc()
    value = render()
    if isinstance(value, _Uncacheable):
        return value.value
    seconds = timeout() if callable(timeout) else timeout
    if seconds is None or seconds > 0:
        stored = (generations, value, None if seconds is None else time.time() + seconds)
        try:
            cache.set(key, stored, timeout=seconds)
        except Exception:  # noqa: BLE001
            cache_failed(f"storing {name}")
        else:
            if request is not None:
                _keep_locally(key, stored)
    return value


class _CacheDown(Exception):
    pass


class _Uncacheable:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def uncacheable(value):
    """Returned by a `render` function: use this value, but do not keep it."""
    return _Uncacheable(value)


def seconds_until(moment: datetime | None, *, at_most: int = DEFAULT_TIMEOUT) -> int:
    """A timeout that ends when `moment` comes (a meeting ends and leaves "upcoming")."""
    if moment is None:
        return at_most
    return max(1, min(at_most, int((moment - timezone.now()).total_seconds()) + 1))


# Who sees what ---------------------------------------------------------------------------


def group_ids_of(request) -> tuple[int, ...]:
    """The viewer's working groups: kept in the cache until memberships change, and read
    once per request."""
    cached = getattr(request, "_portal_group_ids", None)
    if cached is None:
        from working_groups.models import Membership

        user = request.user
        cached = (
            cached_fragment(
                "group_ids",
                (user.pk,),
                lambda: tuple(sorted(Membership.objects.filter(person=user).values_list("working_group_id", flat=True))),
                depends_on=(PEOPLE,),
                request=request,
            )
            if is_participant(user)
            else ()
        )
        request._portal_group_ids = cached
    return cached


def cached_row(request, name: str, key: object, load: Callable[[], object], *,
               depends_on: tuple[str, ...] = (MEETINGS,)):
    """A row a page shows (with its joins), from the cache until its kind of content
    changes; `load()` returns None when there is no such row, which is not kept."""

    def load_or_nothing():
        row = load()
        return uncacheable(None) if row is None else row

    return cached_fragment(f"row:{name}", (key,), load_or_nothing, depends_on=depends_on, request=request)


def visibility_class(request) -> str:
    """Which meetings the viewer sees, as a key shared by everyone who sees the same ones
    (forums.permissions.visible_meetings_filter decides the same way)."""
    user = request.user
    if is_secretariat(user):
        return "secretariat"
    if sees_every_meeting(user):
        return "cochair"
    if not is_participant(user):
        # Signed in without a verified affiliation: public meetings only, as for visitors, but
        # kept apart from them (the pages around the fragments differ for a signed-in person).
        return "unverified" if user.is_authenticated else "anonymous"
    return "groups:" + ",".join(str(pk) for pk in group_ids_of(request))


def observer_group_ids_of(request) -> tuple[int, ...]:
    """The groups the viewer sits in as an observer only: they do not count for
    export-controlled papers (forums.permissions.PaperClearance)."""
    cached = getattr(request, "_portal_observer_group_ids", None)
    if cached is None:
        from working_groups.models import Membership

        user = request.user
        cached = cached_fragment(
            "observer_group_ids",
            (user.pk,),
            lambda: tuple(sorted(Membership.objects.filter(person=user, role=Membership.Role.OBSERVER)
                                 .values_list("working_group_id", flat=True))),
            depends_on=(PEOPLE,),
            request=request,
        )
        request._portal_observer_group_ids = cached
    return cached


def clearance_class(request) -> str:
    """What decides which papers and minutes the viewer may open besides the meetings they
    see (forums.permissions.PaperClearance): their role, their groups and the ones they only
    observe, and their *verified* organisation (whose country counts, and which co-chair
    office it is), never the one they merely named: a person awaiting approval shares no
    fragment with a verified colleague of the same organisation."""
    user = request.user
    visibility = visibility_class(request)
    if visibility in ("secretariat", "anonymous", "unverified"):
        return visibility
    # A co-chair sees every meeting, but opens a group's export-controlled papers only as
    # one of its members or as one of the forum's co-chair offices: groups and organisation
    # count here for everyone.
    groups = group_ids_of(request)
    observed = observer_group_ids_of(request) if groups else ()
    organization = verified_organization_id(user)
    return (f"{visibility}|{role_of(user)}|{','.join(map(str, groups))}|{','.join(map(str, observed))}"
            f"|{organization}")


def viewer_parts(request) -> tuple[str, str]:
    """The language and the time zone pages are rendered in."""
    return translation.get_language() or "", timezone.get_current_timezone_name()


def cached_render(
    request,
    name: str,
    parts: Iterable[object],
    template_name: str,
    context: dict,
    *,
    cacheable: bool = True,
    depends_on: tuple[str, ...] = (MEETINGS,),
    timeout: int | Callable[[], int | None] | None = DEFAULT_TIMEOUT,
) -> SafeString:
    """`template_name` rendered with `context`, shared by every viewer of the same
    language, time zone and visibility class (and `parts`). The template must show
    nothing that is the viewer's own."""

    def render() -> str:
        return render_to_string(template_name, context, request)

    if not cacheable:
        return render()
    key_parts = (*viewer_parts(request), visibility_class(request), *parts)
    return mark_safe(cached_fragment(name, key_parts, render, depends_on=depends_on, timeout=timeout, request=request))


def query_parts(request, allowed: frozenset[str]) -> tuple | None:
    """The page's query string as part of a key, or None (do not cache) when it holds a
    parameter the page does not know: links on the page carry such parameters along, and
    nobody should fill the cache with made-up ones."""
    if not set(request.GET) <= allowed:
        return None
    return tuple(sorted((name, tuple(values)) for name, values in request.GET.lists()))


# The signed-in person ---------------------------------------------------------------------

# Account rows hold password hashes: they are kept in each process's memory only, never in
# the shared cache, and checked there against their generation like every fragment.
SIGNED_IN_ALIAS = "signed_in_local"


def _user_key(user_id) -> str:
    return f"{PREFIX}:user:{user_id}"


class SignedInUserMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, with the signed-in person's account row and profile
    (role, language, time zone) taken from this process's memory instead of a query on every
    page.

    The copy is used only while the generation of that account (`account_kind`), read in the
    same round trip as every other generation, is the one it was loaded under: every save or
    delete of the account row or the profile bumps it, at once and after the commit, so a
    password changed (signing out everywhere), an account deactivated or a role taken away
    counts at the next request of every process. The session is still read, and its hash
    still compared with the account's, on every request; whatever is not that plain case (no
    one signed in, a hash that does not match, another kind of backend, the cache down) goes
    through Django's own `get_user`.

    Read at once rather than on first use: the next middleware reads it on every request
    anyway, and a page reads it a hundred times, each through the lazy object's proxy."""

    def process_request(self, request):
        super().process_request(request)
        request.user = signed_in_user(request)


def signed_in_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = _user_from_memory(request) or auth.get_user(request)
    return request._cached_user


def _user_from_memory(request):
    session = request.session
    if session.session_key is None:
        return None  # a visitor without a session: Django's get_user reads nothing either
    cache = available_cache()
    if cache is None:
        return None
    try:
        # Before the session is read: it may come in the same round trip.
        known = _snapshot(request, cache)
    except Exception:  # noqa: BLE001 — without the cache, Django reads the account
        cache_failed("reading the generations")
        return None
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
        session_hash = session[HASH_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    backend = auth.load_backend(backend_path)
    # The copy stands for ModelBackend.get_user (allauth's backend inherits it), nothing else.
    if type(backend).get_user is not ModelBackend.get_user:
        return None
    local = caches[SIGNED_IN_ALIAS]
    kinds = (ACCOUNTS, account_kind(user_id))
    try:
        if kinds[1] not in known:  # this process had not seen the session yet, or guessed wrong
            known = {**known, **dict(zip(kinds[1:], _generations(cache, kinds[1:], cache.get_many(
                [_generation_key(kinds[1])]))))}
            local.set(_session_user_key(session.session_key), user_id, timeout=settings.SESSION_COOKIE_AGE)
        generations = tuple(known[kind] for kind in kinds)
    except Exception:  # noqa: BLE001
        cache_failed("reading the generation of an account")
        return None
    stored = local.get(_user_key(user_id))
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == generations:
        user = stored[1]
    else:
        user = get_user_model()._default_manager.select_related("profile").filter(pk=user_id).first()
        if user is None:
            return None
        # Kept as loaded, before this request touches it (the cache keeps a pickled copy).
        local.set(_user_key(user_id), (generations, user), timeout=DEFAULT_TIMEOUT)
    if not backend.user_can_authenticate(user):
        return None
    if not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return user


# Invalidation on every save and delete ------------------------------------------------------


def _on_change(kinds: tuple[str, ...]):
    def receiver(sender, raw=False, **kwargs):
        if raw:  # loaddata: nothing cached from those rows yet
            return
        content_changed(*kinds)

    return receiver


def _on_account_change(user_id_of: Callable):
    def receiver(sender, instance, raw=False, **kwargs):
        if not raw:
            content_changed(account_kind(user_id_of(instance)))

    return receiver


_RECEIVERS: list = []


def connect_signals() -> None:
    """Called once from ForumsConfig.ready()."""
    from participants.models import Country, Organization, Profile
    from working_groups.models import ActionItem, Membership, WorkingGroup

    from .models import AgendaItem, AgendaVersion, CoChair, Document, Forum, ForumCountry, Meeting, Minutes
    from .models import Registration

    watched = {
        (MEETINGS,): [Forum, ForumCountry, CoChair, Meeting, AgendaItem, AgendaVersion, Minutes, Document,
                      WorkingGroup, Country, ActionItem],
        # Memberships decide what a person's feed holds as well as who is listed.
        (PEOPLE,): [Profile, Organization, Membership],
        (REGISTRATIONS,): [Registration],
    }
    for kinds, models in watched.items():
        receiver = _on_change(kinds)
        _RECEIVERS.append(receiver)
        for model in models:
            post_save.connect(receiver, sender=model, dispatch_uid=f"portal-cache-{model._meta.label}-save")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"portal-cache-{model._meta.label}-delete")
    countries = _on_change((MEETINGS,))
    _RECEIVERS.append(countries)
    m2m_changed.connect(countries, sender=Forum.countries.through, dispatch_uid="portal-cache-forum-countries")
    # The signed-in person's copy (SignedInUserMiddleware): their account row and profile.
    for model, user_id_of in ((get_user_model(), lambda row: row.pk), (Profile, lambda row: row.user_id)):
        receiver = _on_account_change(user_id_of)
        _RECEIVERS.append(receiver)
        post_save.connect(receiver, sender=model, dispatch_uid=f"portal-cache-{model._meta.label}-account-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"portal-cache-{model._meta.label}-account-delete")
