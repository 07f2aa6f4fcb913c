"""The role × page permission matrix: every URL pattern the project defines, visited as
each role with GET and POST, answers what the table says.

The patterns come from walking the URL resolver, so a page added without a row here
fails `test_every_url_pattern_has_a_row_in_the_matrix`, naming it. A row's cells, in the
order of ROLES, are one of: 200, 400, 403, 404, 405, "login" (302 to the sign-in page),
"302" (302 elsewhere: done, or back to the page with the reason) or "301".

Reading the table: a meeting, paper or minutes someone may not see answers 404 (its
existence must not leak), and a meeting page asks a visitor to sign in whether it exists
or not (the 404 page offers visitors to sign in too); a page they may see but an action they may not take answers
403; a page for signed-in people sends visitors to sign in; a wrong method answers 405.
POSTs carry no data: what matters here is who gets through, not what the form does with
garbage (tests/security/test_fuzz_*.py does that).
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client

from tests.factories import UserFactory, confirm_email

from .urlmap import Route, World, all_routes, build_world

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "industry", "outsider", "member", "cochair", "secretariat")

# Two more people (issue 13), each answered like one of the cast except where the rules part
# them, listed in UNLIKE below: an official of an observer country who is a full member of
# group A, and an industry representative of the member's own company whose affiliation
# awaits the secretariat's approval.
LIKE = {"observer": "member", "unverified": "industry"}

# Patterns left out of the matrix, each for a reason. Everything else must have a row.
EXCLUDED_PREFIXES = {
    "admin/": "Django's admin: is_staff plus per-model permissions, Django's own tested code; its sign-in "
              "form is replaced by the portal's (MFA) in dicas_portal/urls.py, tested in tests/accounts/test_mfa.py",
    "accounts/": "allauth's own account and MFA pages (sign-in, sign-up, e-mail, password, 2fa): allauth's code "
                 "and tests; the portal's use of them is tested in tests/accounts/",
}
# Excluded prefixes may only hold views of these packages: a portal page put under
# accounts/ would not slip out of the matrix unnoticed. (simple_history adds the minutes'
# history to the admin; contenttypes its "view on site" redirect.)
EXCLUDED_MODULES = {
    "admin/": ("django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.views",
               "simple_history.admin"),
    # allauth's social accounts keep their old addresses (accounts/social/…) as redirects.
    "accounts/": ("allauth.", "django.views.generic.base"),
}


@dataclass(frozen=True)
class Case:
    """One concrete URL for a pattern, and the answers per role to GET and POST."""

    label: str
    url: Callable[[World], str]
    get: str
    post: str


def case(label: str, url: Callable[[World], str], *, get: str, post: str) -> Case:
    for row in (get, post):
        assert len(row.split()) == len(ROLES), f"{label}: {row!r} needs one answer per role"
    return Case(label, url, get, post)


def every(answer: str) -> str:
    return " ".join([answer] * len(ROLES))


SIGNED_IN_PAGE = "login 200 200 200 200 200"
SECRETARIAT_PAGE = "login 403 403 403 403 200"
SECRETARIAT_ACTION = "login 403 403 403 403 302"
GET_ONLY_SIGNED_IN = "login 405 405 405 405 405"
W = World  # for the lambdas' type

MATRIX: dict[str, list[Case]] = {
    # -- the project's own -------------------------------------------------------------
    "healthz": [case("health", lambda w: "/healthz", get=every("200"), post=every("405"))],
    # For Prometheus only, with METRICS_TOKEN (tests/operations/test_metrics.py); no role
    # opens it, and without the setting it does not exist.
    "metrics": [case("metrics", lambda w: "/metrics", get=every("404"), post=every("404"))],
    "i18n/setlang/": [case("language", lambda w: "/i18n/setlang/", get=every("405"), post=every("302"))],
    "preferences/time-zone/": [case("zone", lambda w: "/preferences/time-zone/", get=every("405"), post=every("302"))],
    "preferences/time-zones/": [case("zones", lambda w: "/preferences/time-zones/", get=every("200"),
                                     post=every("405"))],
    # -- notifications -----------------------------------------------------------------
    "notifications/dispatches/": [case("outbox", lambda w: "/notifications/dispatches/", get=SECRETARIAT_PAGE,
                                       post=GET_ONLY_SIGNED_IN)],
    "notifications/dispatches/<int:pk>/retry/": [
        case("retry", lambda w: f"/notifications/dispatches/{w.dispatch.pk}/retry/", get=GET_ONLY_SIGNED_IN,
             post=SECRETARIAT_ACTION),
    ],
    "notifications/preferences/": [
        # An empty POST is an unbound form: the page again.
        case("preferences", lambda w: "/notifications/preferences/", get=SIGNED_IN_PAGE, post=SIGNED_IN_PAGE),
    ],
    "notifications/unsubscribe/<str:token>/": [
        # The signed link is the key (mail programs post it without a session).
        case("signed link", lambda w: f"/notifications/unsubscribe/{w.unsubscribe_token}/", get=every("200"),
             post=every("200")),
        case("altered link", lambda w: f"/notifications/unsubscribe/{w.unsubscribe_token}x/", get=every("400"),
             post=every("400")),
    ],
    # -- the admin's password change, sent to the portal's (tests/accounts/test_admin_password_change.py)
    "admin/password_change/": [case("admin password change", lambda w: "/admin/password_change/",
                                    get=every("302"), post=every("302"))],
    "admin/password_change/done/": [case("admin password changed", lambda w: "/admin/password_change/done/",
                                         get=every("302"), post=every("302"))],
    # -- participants ------------------------------------------------------------------
    "accounts/oidc/<str:provider_id>/login/callback/": [
        # Agency sign-in's return from the identity provider (tests/oidc/ drives it with a real
        # one); an identity provider that is not configured does not exist.
        case("unknown provider", lambda w: "/accounts/oidc/nowhere/login/callback/?code=x&state=y",
             get=every("404"), post=every("404")),
    ],
    "profile/": [case("profile", lambda w: "/profile/", get=SIGNED_IN_PAGE, post=GET_ONLY_SIGNED_IN)],
    "profile/details/": [case("details", lambda w: "/profile/details/", get=SIGNED_IN_PAGE,
                              post="login 400 400 400 400 400")],
    "profile/calendar-token/reset/": [case("reset feed", lambda w: "/profile/calendar-token/reset/",
                                           get=GET_ONLY_SIGNED_IN, post="login 302 302 302 302 302")],
    "profile/sign-out-everywhere/": [case("sign out everywhere", lambda w: "/profile/sign-out-everywhere/",
                                          get=SIGNED_IN_PAGE, post=SIGNED_IN_PAGE)],
    "people/role-grants/": [case("roles awaiting approval", lambda w: "/people/role-grants/", get=SECRETARIAT_PAGE,
                                  post=GET_ONLY_SIGNED_IN)],
    "people/role-grants/<int:pk>/approve/": [
        case("approve", lambda w: f"/people/role-grants/{w.role_grant.pk}/approve/", get=GET_ONLY_SIGNED_IN,
             post=SECRETARIAT_ACTION),
    ],
    "people/role-grants/<int:pk>/decline/": [
        case("decline", lambda w: f"/people/role-grants/{w.role_grant.pk}/decline/", get=GET_ONLY_SIGNED_IN,
             post=SECRETARIAT_ACTION),
    ],
    "invitations/": [case("invitations", lambda w: "/invitations/", get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE)],
    "invitations/<int:pk>/resend/": [case("resend", lambda w: f"/invitations/{w.invitation.pk}/resend/",
                                          get=GET_ONLY_SIGNED_IN, post=SECRETARIAT_ACTION)],
    "invitations/<int:pk>/revoke/": [case("revoke", lambda w: f"/invitations/{w.invitation.pk}/revoke/",
                                          get=GET_ONLY_SIGNED_IN, post=SECRETARIAT_ACTION)],
    "invitations/accept/<str:token>/": [
        # Signed-in people are told to sign out first (200, nothing made).
        case("valid link", lambda w: f"/invitations/accept/{w.invitation_token}/", get=every("200"),
             post=every("200")),
        case("altered link", lambda w: f"/invitations/accept/{w.invitation_token}x/", get=every("400"),
             post=every("400")),
    ],
    # Enrolling a second factor by the link sent to one's address: only for those who must
    # have one and have none (the cast has theirs, so they are sent to their MFA page).
    "security/enrol/": [case("enrolment", lambda w: "/security/enrol/", get="login 302 302 302 302 302",
                             post="login 302 302 302 302 302")],
    "security/enrol/<str:token>/": [
        # The member's link: refused to every other account, spent (and rolled back) by theirs.
        case("member's link", lambda w: f"/security/enrol/{w.enrolment_token}/", get="login 400 400 302 400 400",
             post=GET_ONLY_SIGNED_IN),
        case("altered link", lambda w: f"/security/enrol/{w.enrolment_token}x/", get="login 400 400 400 400 400",
             post=GET_ONLY_SIGNED_IN),
    ],
    "people/": [case("people", lambda w: "/people/", get=SECRETARIAT_PAGE, post=GET_ONLY_SIGNED_IN)],
    "people/<int:pk>/role/": [
        case("someone's role", lambda w: f"/people/{w.industry_profile.pk}/role/", get=SECRETARIAT_PAGE,
             post=SECRETARIAT_PAGE),
        # One's own role: nobody, the secretariat included.
        case("own role", lambda w: f"/people/{w.cast.secretariat.profile.pk}/role/", get=SECRETARIAT_PAGE[:-3] + "403",
             post=SECRETARIAT_PAGE[:-3] + "403"),
    ],
    "affiliations/": [case("requests", lambda w: "/affiliations/", get=SECRETARIAT_PAGE, post=GET_ONLY_SIGNED_IN)],
    # No data posted: back to the page with the reason (a decline needs one; an approval goes through).
    "affiliations/<int:pk>/approve/": [
        case("pending", lambda w: f"/affiliations/{w.pending_affiliation.pk}/approve/", get=GET_ONLY_SIGNED_IN,
             post=SECRETARIAT_ACTION),
    ],
    "affiliations/<int:pk>/decline/": [
        case("pending", lambda w: f"/affiliations/{w.pending_affiliation.pk}/decline/", get=GET_ONLY_SIGNED_IN,
             post=SECRETARIAT_ACTION),
    ],
    "affiliations/reviews/<int:pk>/renew/": [
        case("the member's", lambda w: f"/affiliations/reviews/{w.cast.member.profile.pk}/renew/",
             get=GET_ONLY_SIGNED_IN, post=SECRETARIAT_ACTION),
    ],
    # An empty POST is an unbound form: the page again.
    "affiliations/domains/": [case("domains", lambda w: "/affiliations/domains/", get=SECRETARIAT_PAGE,
                                   post=SECRETARIAT_PAGE)],
    "affiliations/domains/<int:pk>/remove/": [
        case("kure.example", lambda w: f"/affiliations/domains/{w.domain.pk}/remove/", get=GET_ONLY_SIGNED_IN,
             post=SECRETARIAT_ACTION),
    ],
    # -- audit -------------------------------------------------------------------------
    "audit/": [case("record", lambda w: "/audit/", get=SECRETARIAT_PAGE, post=GET_ONLY_SIGNED_IN)],
    "audit/export.csv": [case("export", lambda w: "/audit/export.csv", get=SECRETARIAT_PAGE, post=GET_ONLY_SIGNED_IN)],
    # -- forums: schedule, meetings, calendars, papers -------------------------------------
    "": [case("home", lambda w: "/", get=every("200"), post=every("405"))],
    "meetings/": [case("schedule", lambda w: "/meetings/", get=every("200"), post=every("405"))],
    "meetings/calendar/": [case("this month", lambda w: "/meetings/calendar/", get=every("302"), post=every("405"))],
    "meetings/calendar/<int:year>/<int:month>/": [
        case("a month", lambda w: "/meetings/calendar/2030/3/", get=every("200"), post=every("405")),
        case("no such month", lambda w: "/meetings/calendar/2030/13/", get=every("400"), post=every("405")),
    ],
    "meetings/<int:pk>/": [
        # Visitors are asked to sign in (and brought back) for a meeting they may not see and
        # for one that does not exist alike: a link from an e-mail works once they have.
        case("public", lambda w: f"/meetings/{w.public.pk}/", get=every("200"), post=every("405")),
        case("participants", lambda w: f"/meetings/{w.participants.pk}/", get="login 200 200 200 200 200",
             post=every("405")),
        case("group members", lambda w: f"/meetings/{w.group.pk}/", get="login 404 404 200 200 200",
             post=every("405")),
        case("draft", lambda w: f"/meetings/{w.draft.pk}/", get="login 404 404 404 404 200", post=every("405")),
        case("none", lambda w: "/meetings/999999/", get="login 404 404 404 404 404", post=every("405")),
    ],
    # -- forums: the secretariat runs its meetings (meeting_views.py) ----------------------------
    "meetings/new/": [
        # An empty POST is the form again, with what is missing (400).
        case("new meeting", lambda w: "/meetings/new/", get=SECRETARIAT_PAGE, post="login 403 403 403 403 400"),
    ],
    "meetings/<int:pk>/edit/": [
        case("participants", lambda w: f"/meetings/{w.participants.pk}/edit/", get="404 403 403 403 403 200",
             post="404 403 403 403 403 400"),
        case("group members", lambda w: f"/meetings/{w.group.pk}/edit/", get="404 404 404 403 403 200",
             post="404 404 404 403 403 400"),
        case("draft", lambda w: f"/meetings/{w.draft.pk}/edit/", get="404 404 404 404 404 200",
             post="404 404 404 404 404 400"),
    ],
    # Each action goes back to the meeting page: done, or with the reason it was not.
    **{
        f"meetings/<int:pk>/{action}/": [
            case("participants", lambda w, action=action: f"/meetings/{w.participants.pk}/{action}/",
                 get=every("405"), post="404 403 403 403 403 302"),
            case("draft", lambda w, action=action: f"/meetings/{w.draft.pk}/{action}/", get=every("405"),
                 post="404 404 404 404 404 302"),
        ]
        for action in ("publish", "open-registration", "postpone", "cancel", "mark-held", "duplicate")
    },
    "meetings/<int:pk>.ics": [
        case("public", lambda w: f"/meetings/{w.public.pk}.ics", get=every("200"), post=every("405")),
        case("group members", lambda w: f"/meetings/{w.group.pk}.ics", get="404 404 404 200 200 200",
             post=every("405")),
        case("draft", lambda w: f"/meetings/{w.draft.pk}.ics", get="404 404 404 404 404 200", post=every("405")),
    ],
    "calendar/<str:token>.ics": [
        # Calendar programs send no session: the secret address is the key.
        case("secret address", lambda w: f"/calendar/{w.calendar_token}.ics", get=every("200"), post=every("405")),
        case("wrong address", lambda w: "/calendar/guessed.ics", get=every("404"), post=every("405")),
    ],
    "papers/<int:pk>/download/": [
        case("public paper", lambda w: f"/papers/{w.public_paper.pk}/download/", get=every("200"),
             post=every("405")),
        case("group paper", lambda w: f"/papers/{w.group_paper.pk}/download/", get="404 404 404 200 200 200",
             post=every("405")),
        # Group A's member (Japan) and the secretariat are cleared, and first read the handling rule.
        case("export-controlled", lambda w: f"/papers/{w.export_paper.pk}/download/", get="404 404 404 302 404 302",
             post=every("405")),
    ],
    "papers/<int:pk>/handling/": [
        # An empty POST (the box not ticked): the rule again, with the reason.
        case("export-controlled", lambda w: f"/papers/{w.export_paper.pk}/handling/", get="404 404 404 200 404 200",
             post="404 404 404 400 404 400"),
        case("not export-controlled", lambda w: f"/papers/{w.group_paper.pk}/handling/", get=every("404"),
             post=every("404")),
    ],
    # -- forums: publishing ------------------------------------------------------------------
    "meetings/<int:pk>/agenda/add/": [
        case("participants", lambda w: f"/meetings/{w.participants.pk}/agenda/add/", get="404 403 403 403 403 200",
             post="404 403 403 403 403 200"),
        case("group members", lambda w: f"/meetings/{w.group.pk}/agenda/add/", get="404 404 404 403 403 200",
             post="404 404 404 403 403 200"),
    ],
    "meetings/<int:pk>/agenda/publish/": [
        case("participants", lambda w: f"/meetings/{w.participants.pk}/agenda/publish/", get=every("405"),
             post="404 403 403 403 403 302"),
    ],
    "agenda-items/<int:pk>/edit/": [
        case("participants", lambda w: f"/agenda-items/{w.item.pk}/edit/", get="404 403 403 403 403 200",
             post="404 403 403 403 403 200"),
        case("group members", lambda w: f"/agenda-items/{w.group_item.pk}/edit/", get="404 404 404 403 403 200",
             post="404 404 404 403 403 200"),
    ],
    "agenda-items/<int:pk>/move/": [
        # No direction posted: refused as a bad request before the service is asked.
        case("participants", lambda w: f"/agenda-items/{w.item.pk}/move/", get=every("405"),
             post="404 400 400 400 400 400"),
        case("group members", lambda w: f"/agenda-items/{w.group_item.pk}/move/", get=every("405"),
             post="404 404 404 400 400 400"),
    ],
    "agenda-items/<int:pk>/remove/": [
        case("participants", lambda w: f"/agenda-items/{w.item.pk}/remove/", get=every("405"),
             post="404 403 403 403 403 302"),
    ],
    "meetings/<int:pk>/minutes/": [
        case("in review", lambda w: f"/meetings/{w.participants.pk}/minutes/", get="404 404 404 404 200 200",
             post=every("405")),
    ],
    "meetings/<int:pk>/minutes/start/": [
        case("already started", lambda w: f"/meetings/{w.participants.pk}/minutes/start/", get=every("405"),
             post="404 403 403 403 403 302"),
    ],
    "meetings/<int:pk>/minutes/amend/": [
        case("in review", lambda w: f"/meetings/{w.participants.pk}/minutes/amend/", get=every("405"),
             post="404 403 403 403 403 302"),
    ],
    "meetings/<int:pk>/minutes/versions/": [
        case("in review only", lambda w: f"/meetings/{w.participants.pk}/minutes/versions/",
             get="404 404 404 404 200 200", post=every("405")),
        case("published, official use", lambda w: f"/meetings/{w.group.pk}/minutes/versions/",
             get="404 404 404 200 200 200", post=every("405")),
    ],
    "meetings/<int:pk>/minutes/compare/": [
        # No versions named: a bad request for those who may read them.
        case("published", lambda w: f"/meetings/{w.group.pk}/minutes/compare/", get="404 404 404 400 400 400",
             post=every("405")),
    ],
    "minutes/preview/": [case("preview", lambda w: "/minutes/preview/", get=every("405"),
                              post="403 403 403 403 403 200")],
    "minutes/<int:pk>/": [
        case("in review", lambda w: f"/minutes/{w.in_review.pk}/", get="404 404 404 404 200 200", post=every("405")),
        case("published", lambda w: f"/minutes/{w.published.pk}/", get="404 404 404 200 200 200", post=every("405")),
    ],
    "minutes/<int:pk>/print/": [
        case("in review", lambda w: f"/minutes/{w.in_review.pk}/print/", get="404 404 404 404 200 200",
             post=every("405")),
        case("published", lambda w: f"/minutes/{w.published.pk}/print/", get="404 404 404 200 200 200",
             post=every("405")),
    ],
    "minutes/<int:pk>/edit/": [
        # Not a draft: the secretariat is sent back to the workflow with the reason.
        case("in review", lambda w: f"/minutes/{w.in_review.pk}/edit/", get="404 403 403 403 403 302",
             post="404 403 403 403 403 200"),
    ],
    "minutes/<int:pk>/submit/": [
        case("in review", lambda w: f"/minutes/{w.in_review.pk}/submit/", get=every("405"),
             post="404 403 403 403 403 302"),
    ],
    "minutes/<int:pk>/approve/": [
        # A co-chair only, never the secretariat that wrote the text.
        case("in review", lambda w: f"/minutes/{w.in_review.pk}/approve/", get=every("405"),
             post="404 403 403 403 302 403"),
    ],
    "minutes/<int:pk>/return/": [
        case("in review", lambda w: f"/minutes/{w.in_review.pk}/return/", get=every("405"),
             post="404 403 403 403 302 403"),
    ],
    "minutes/<int:pk>/publish/": [
        case("in review", lambda w: f"/minutes/{w.in_review.pk}/publish/", get=every("405"),
             post="404 403 403 403 403 302"),
    ],
    "meetings/<int:pk>/papers/upload/": [
        case("participants", lambda w: f"/meetings/{w.participants.pk}/papers/upload/",
             get="404 403 403 403 403 200", post="404 403 403 403 403 200"),
    ],
    "groups/<slug:slug>/papers/upload/": [
        case("group A", lambda w: f"/groups/{w.cast.group_a.slug}/papers/upload/", get="403 403 403 403 403 200",
             post="403 403 403 403 403 200"),
        case("no such group", lambda w: "/groups/no-such-group/papers/upload/", get=every("404"),
             post=every("404")),
    ],
    # -- forums: registrations ---------------------------------------------------------------
    "meetings/<int:pk>/register/": [
        # Visitors sign in first; the others are answered on the meeting page, with the reason.
        case("open roundtable", lambda w: f"/meetings/{w.roundtable.pk}/register/", get=every("405"),
             post="login 302 302 302 302 302"),
        case("group members", lambda w: f"/meetings/{w.group.pk}/register/", get=every("405"),
             post="404 404 404 302 302 302"),
    ],
    "my/registrations/": [case("mine", lambda w: "/my/registrations/", get=SIGNED_IN_PAGE, post=GET_ONLY_SIGNED_IN)],
    "my/registrations/<int:pk>/cancel/": [
        # The person themselves, or the secretariat on their behalf; to others it does not exist.
        case("the industry rep's", lambda w: f"/my/registrations/{w.registration.pk}/cancel/", get=GET_ONLY_SIGNED_IN,
             post="login 302 404 404 404 302"),
    ],
    "meetings/<int:pk>/registrations/": [
        case("roundtable", lambda w: f"/meetings/{w.roundtable.pk}/registrations/", get=SECRETARIAT_PAGE,
             post=GET_ONLY_SIGNED_IN),
        case("group members", lambda w: f"/meetings/{w.group.pk}/registrations/", get="login 404 404 403 403 200",
             post=GET_ONLY_SIGNED_IN),
    ],
    "meetings/<int:pk>/registrations/decide/": [
        case("roundtable", lambda w: f"/meetings/{w.roundtable.pk}/registrations/decide/", get=GET_ONLY_SIGNED_IN,
             post=SECRETARIAT_ACTION),
    ],
    "meetings/<int:pk>/registrations/capacity/": [
        case("roundtable", lambda w: f"/meetings/{w.roundtable.pk}/registrations/capacity/", get=GET_ONLY_SIGNED_IN,
             post=SECRETARIAT_ACTION),
    ],
    "meetings/<int:pk>/registrations/attendees.csv": [
        case("roundtable", lambda w: f"/meetings/{w.roundtable.pk}/registrations/attendees.csv",
             get=SECRETARIAT_PAGE, post=GET_ONLY_SIGNED_IN),
    ],
    "meetings/<int:pk>/registrations/attendees-excel.csv": [
        case("roundtable", lambda w: f"/meetings/{w.roundtable.pk}/registrations/attendees-excel.csv",
             get=SECRETARIAT_PAGE, post=GET_ONLY_SIGNED_IN),
    ],
    "meetings/<int:pk>/check-in/": [
        case("roundtable", lambda w: f"/meetings/{w.roundtable.pk}/check-in/", get=SECRETARIAT_PAGE,
             post=GET_ONLY_SIGNED_IN),
    ],
    "meetings/<int:pk>/check-in/<int:registration_pk>/": [
        case("roundtable", lambda w: f"/meetings/{w.roundtable.pk}/check-in/{w.registration.pk}/",
             get=GET_ONLY_SIGNED_IN, post=SECRETARIAT_ACTION),
        case("registration of another meeting", lambda w: f"/meetings/{w.public.pk}/check-in/{w.registration.pk}/",
             get=GET_ONLY_SIGNED_IN, post="login 403 403 403 403 404"),
    ],
    "meetings/<int:pk>/check-in/attendance.json": [
        case("roundtable", lambda w: f"/meetings/{w.roundtable.pk}/check-in/attendance.json", get=SECRETARIAT_PAGE,
             post=GET_ONLY_SIGNED_IN),
    ],
    # -- working groups ------------------------------------------------------------------------
    "groups/<slug:slug>/": [
        case("group A", lambda w: f"/groups/{w.cast.group_a.slug}/", get=every("200"), post=every("405")),
        case("no such group", lambda w: "/groups/no-such-group/", get=every("404"), post=every("405")),
    ],
    "working-groups/<slug:slug>/": [
        case("old address", lambda w: f"/working-groups/{w.cast.group_a.slug}/", get=every("301"), post=every("301")),
    ],
    "my/action-items/": [case("mine", lambda w: "/my/action-items/", get=SIGNED_IN_PAGE, post=GET_ONLY_SIGNED_IN)],
    "meetings/<int:pk>/action-items/add/": [
        case("group members", lambda w: f"/meetings/{w.group.pk}/action-items/add/", get="404 404 404 403 403 200",
             post="404 404 404 403 403 200"),
    ],
    "action-items/<int:pk>/status/": [
        # Of group A: its members, the co-chairs and the secretariat; to others it does not exist.
        case("group A's", lambda w: f"/action-items/{w.action_item.pk}/status/", get=every("405"),
             post="404 404 404 302 302 302"),
    ],
}


# Where the observer-country member and the unverified industry representative part from the
# person they are otherwise answered like: (route, case, method) -> {person: answer}.
UNLIKE: dict[tuple[str, str, str], dict[str, str]] = {
    # Export-controlled papers: an observer country's people are not cleared, members of group A or not.
    ("papers/<int:pk>/download/", "export-controlled", "get"): {"observer": "404"},
    ("papers/<int:pk>/handling/", "export-controlled", "get"): {"observer": "404"},
    ("papers/<int:pk>/handling/", "export-controlled", "post"): {"observer": "404"},
    # Not the unverified person's registration (it is the industry representative's): it does not exist.
    ("my/registrations/<int:pk>/cancel/", "the industry rep's", "post"): {"unverified": "404"},
    # Until the affiliation is verified, public meetings only: the participants' meeting and all
    # its pages do not exist for the unverified person (the industry representative gets 200 or 403).
    **{(route, label, method): {"unverified": "404"} for route, label, methods in (
        ("meetings/<int:pk>/", "participants", ("get",)),
        ("meetings/<int:pk>/agenda/add/", "participants", ("get", "post")),
        ("meetings/<int:pk>/agenda/publish/", "participants", ("post",)),
        ("agenda-items/<int:pk>/edit/", "participants", ("get", "post")),
        ("agenda-items/<int:pk>/move/", "participants", ("post",)),
        ("agenda-items/<int:pk>/remove/", "participants", ("post",)),
        ("meetings/<int:pk>/minutes/start/", "already started", ("post",)),
        ("meetings/<int:pk>/minutes/amend/", "in review", ("post",)),
        ("minutes/<int:pk>/edit/", "in review", ("get", "post")),
        ("minutes/<int:pk>/submit/", "in review", ("post",)),
        ("minutes/<int:pk>/approve/", "in review", ("post",)),
        ("minutes/<int:pk>/return/", "in review", ("post",)),
        ("minutes/<int:pk>/publish/", "in review", ("post",)),
        ("meetings/<int:pk>/papers/upload/", "participants", ("get", "post")),
        ("meetings/<int:pk>/edit/", "participants", ("get", "post")),
        ("meetings/<int:pk>/publish/", "participants", ("post",)),
        ("meetings/<int:pk>/open-registration/", "participants", ("post",)),
        ("meetings/<int:pk>/postpone/", "participants", ("post",)),
        ("meetings/<int:pk>/cancel/", "participants", ("post",)),
        ("meetings/<int:pk>/mark-held/", "participants", ("post",)),
        ("meetings/<int:pk>/duplicate/", "participants", ("post",)),
    ) for method in methods},
    # The member's enrolment link is refused to every other account, the observer's too.
    ("security/enrol/<str:token>/", "member's link", "get"): {"observer": "400"},
}


def is_excluded(route: Route) -> bool:
    # Only the packages named for a prefix: the portal's own views under accounts/ have rows.
    return any(route.route.startswith(prefix) and route.module.startswith(modules)
               for prefix, modules in EXCLUDED_MODULES.items())


def answer(response) -> str:
    if response.status_code == 302:
        return "login" if response["Location"].startswith("/accounts/login/") else "302"
    return str(response.status_code)


@pytest.fixture
def world(cast, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(cast, settings.MEDIA_ROOT)


def visit(person, method: str, url: str):
    """One request by `person`, undone afterwards (savepoint rolled back), so that no
    visit changes what the next one finds."""
    with transaction.atomic():
        client = Client()
        if person is not None:
            client.force_login(person)
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    return response


def rows_missing(routes: list[Route]) -> list[str]:
    return [f"{route.route!r} ({route.name or 'unnamed'}, {route.module})" for route in routes
            if not is_excluded(route) and route.route not in MATRIX]


def test_every_url_pattern_has_a_row_in_the_matrix():
    routes = all_routes()
    missing = rows_missing(routes)
    assert not missing, (
        "These URL patterns have no row in tests/security/test_permission_matrix.py; say who may see "
        "them:\n  " + "\n  ".join(missing)
    )
    stale = sorted(set(MATRIX) - {route.route for route in routes})
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


def test_a_page_added_without_a_row_is_caught_and_named():
    from types import ModuleType

    from django.http import HttpResponse
    from django.urls import include, path

    import dicas_portal.urls

    def forgotten(request):
        return HttpResponse("secret")

    urlconf = ModuleType("urls_with_a_forgotten_page")
    urlconf.urlpatterns = [
        *dicas_portal.urls.urlpatterns,
        path("reports/", include(([path("<int:pk>/leak/", forgotten, name="leak")], "reports"))),
    ]
    assert rows_missing(all_routes(urlconf)) == ["'reports/<int:pk>/leak/' (reports:leak, tests.security.test_permission_matrix)"]


def test_only_admin_and_allauth_pages_are_left_out_of_the_matrix():
    strays = [
        f"{route.route} ({route.module})"
        for route in all_routes()
        for prefix, modules in EXCLUDED_MODULES.items()
        if route.route.startswith(prefix) and not route.module.startswith(modules) and route.route not in MATRIX
    ]
    assert not strays, f"portal views under an excluded prefix need rows in the matrix: {strays}"


def expected_answers(route: str, this: Case, method: str) -> dict[str, str]:
    """Each person's answer: the row's, and for the two extra people their model's unless UNLIKE says."""
    answers = dict(zip(ROLES, (this.get if method == "get" else this.post).split(), strict=True))
    for person, model in LIKE.items():
        answers[person] = UNLIKE.get((route, this.label, method), {}).get(person, answers[model])
    return answers


def test_every_exception_for_the_extra_people_names_a_real_case():
    known = {(route, this.label, method) for route, cases in MATRIX.items() for this in cases
             for method in ("get", "post")}
    assert not set(UNLIKE) - known
    assert all(set(people) <= set(LIKE) for people in UNLIKE.values())


def test_the_permission_matrix(world):
    people = {**world.cast.roles(), "observer": world.observer, "unverified": world.unverified}
    mismatches = []
    for route, cases in MATRIX.items():
        for this in cases:
            url = this.url(world)
            for method in ("get", "post"):
                for role, expected in expected_answers(route, this, method).items():
                    got = answer(visit(people[role], method, url))
                    if got != expected:
                        mismatches.append(f"{route or '/'} [{this.label}] {url} {method.upper()} as {role}: "
                                          f"expected {expected}, got {got}")
    assert not mismatches, f"{len(mismatches)} answers differ from the matrix:\n  " + "\n  ".join(mismatches)


# The same walk serves two more rules that hold on every page --------------------------------


# Open before MFA too: health, the language and zone switchers, and the enrolment itself.
OPEN_BEFORE_MFA = ("healthz", "i18n/setlang/", "preferences/time-zone/", "security/enrol/",
                   "security/enrol/<str:token>/")
# The Django admin is left out of the matrix, but not out of this rule (issue 13, finding 1).
ADMIN_PAGES = ("/admin/", "/admin/auth/user/", "/admin/participants/profile/", "/admin/password_change/")


def mfa_less(kind: str):
    if kind == "administrator":
        return confirm_email(UserFactory(role="administrator", is_staff=True, is_superuser=True, mfa=False))
    return confirm_email(UserFactory(role=kind, mfa=False))


@pytest.mark.parametrize("kind", ["official", "administrator"])
def test_a_privileged_person_without_mfa_reaches_no_page_but_the_enrolment(world, kind):
    """An official, or an administrator (a superuser), without a second factor is sent to
    enrol from every page (the admin's too): no papers, no admin, no secretariat power."""
    person = mfa_less(kind)
    reached = []
    urls = [this.url(world) for route, cases in MATRIX.items() if route not in OPEN_BEFORE_MFA for this in cases]
    for url in [*urls, *ADMIN_PAGES]:
        for method in ("get", "post"):
            response = visit(person, method, url)
            if response.status_code != 302 or response["Location"] != "/security/enrol/":
                reached.append(f"{method.upper()} {url}: {response.status_code}")
    assert not reached, "pages reached without MFA:\n  " + "\n  ".join(reached)


# Forms that must work without the portal's CSRF token, each with the reason.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail programs post it without a session or a token;
    # the signed link is the proof, and GET only shows a confirmation.
    "notifications/unsubscribe/<str:token>/",
}


@pytest.mark.parametrize("role", ["anonymous", "industry", "secretariat"])
def test_every_post_without_the_csrf_token_is_refused(world, role):
    person = world.cast.roles()[role]
    accepted = []
    for route, cases in MATRIX.items():
        if route in CSRF_EXEMPT:
            continue
        for this in cases:
            with transaction.atomic():
                client = Client(enforce_csrf_checks=True)
                if person is not None:
                    client.force_login(person)
                response = client.post(this.url(world))
                transaction.set_rollback(True)
            if response.status_code != 403 or b"CSRF" not in response.content:
                accepted.append(f"{this.url(world)}: {response.status_code}")
    assert not accepted, "POSTs accepted without a CSRF token:\n  " + "\n  ".join(accepted)
