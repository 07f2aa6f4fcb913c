"""Accounts: the secretariat's invitations and people pages, accepting an invitation, and
signing out everywhere. Thin views: parse, check permission, call a service, render."""

from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from allauth.mfa.models import Authenticator

from . import invitations as invitation_services
from . import services
from .account_forms import (
    AcceptInvitationForm,
    InvitationForm,
    PeopleSearchForm,
    RoleChangeForm,
    SignOutEverywhereForm,
)
from .enrolment import grant_enrolment_permit
from .mfa import SECOND_FACTORS, mfa_setup_url
from .models import Invitation, Profile, RoleGrant
from .permissions import (
    assignable_roles,
    can_decide_role_grant,
    can_invite,
    can_manage_people,
    can_view_role_grants,
    invitable_roles,
    may_change_role,
)
from .sessions import sign_out_everywhere as sign_out_everywhere_service

BAD_REQUEST = 400
PAGE_SIZE = 50


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# Invitations (the secretariat) -------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitations(request: HttpRequest) -> HttpResponse:
    _require(can_invite(request.user))
    form = InvitationForm(request.POST or None, roles=invitable_roles(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_services.invite(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The invitation is on its way to %(email)s. The link works once, for %(days)d days.")
                % {"email": invitation.email, "days": invitation_services.max_age().days},
            )
            return redirect("participants:invitations")
    page = Paginator(
        Invitation.objects.select_related("organization", "invited_by__profile", "accepted_by"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    now = timezone.now()
    for invitation in page:
        invitation.status = invitation.status_at(now)
        invitation.status_label = Invitation.Status(invitation.status).label
    return render(
        request,
        "participants/invitations.html",
        {"form": form, "page": page, "statuses": Invitation.Status},
        status=BAD_REQUEST if form.errors else 200,
    )


def _invitation_step(service, success):
    """A POST-only step on one invitation (send again, withdraw), back to the list."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        _require(can_invite(request.user))
        invitation = get_object_or_404(Invitation, pk=pk)
        try:
            service(invitation=invitation, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, str(success) % {"email": invitation.email})
        return redirect("participants:invitations")

    view.__name__ = view.__qualname__ = f"invitation_{service.__name__.split('_')[0]}"
    return view


# Lazy: read when a request is answered, in that request's language.
invitation_resend = _invitation_step(
    invitation_services.resend_invitation,
    gettext_lazy("A new link is on its way to %(email)s; the previous one no longer works."),
)
invitation_revoke = _invitation_step(
    invitation_services.revoke_invitation,
    gettext_lazy("The invitation to %(email)s is withdrawn; its link no longer works."),
)


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "HEAD", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page: a name and a password; then signed in and sent to set up MFA."""
    try:
        invitation = invitation_services.invitation_from_token(token)
    except invitation_services.InvitationRefused as refusal:
        return render(request, "participants/invitation_refused.html", {"message": refusal.message},
                      status=BAD_REQUEST)
    if request.user.is_authenticated:
        # Accepting would make a second account under someone else's session.
        return render(request, "participants/invitation_signed_in.html", {"invitation": invitation})
    form = AcceptInvitationForm(request.POST or None, invitation=invitation,
                                initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_services.accept_invitation(
                token=token,
                full_name=form.cleaned_data["full_name"],
                full_name_ja=form.cleaned_data["full_name_ja"],
                job_title=form.cleaned_data["job_title"],
                password=form.cleaned_data["password1"],
            )
        except invitation_services.InvitationRefused as refusal:
            return render(request, "participants/invitation_refused.html", {"message": refusal.message},
                          status=BAD_REQUEST)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The password was typed here a moment ago: recorded as allauth records a fresh
            # password check, so that setting up the authenticator does not ask for it again.
            record_authentication(request, user, method="password", email=user.email, reauthenticated=True)
            messages.success(request, _("Your account is ready. Now protect it with an authenticator app."))
            response = perform_login(request, user, redirect_url=mfa_setup_url(user), email=user.email)
            # The invitation's link reached the verified address: proof enough to enrol.
            grant_enrolment_permit(request, user)
            return response
    return render(
        request,
        "participants/accept_invitation.html",
        {"form": form, "invitation": invitation},
        status=BAD_REQUEST if form.errors else 200,
    )


# People and roles (the secretariat) ---------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def people(request: HttpRequest) -> HttpResponse:
    _require(can_manage_people(request.user))
    form = PeopleSearchForm(request.GET)
    profiles = Profile.objects.select_related("user", "organization").annotate(
        has_mfa=Exists(Authenticator.objects.filter(user_id=OuterRef("user_id"), type__in=SECOND_FACTORS))
    ).order_by("full_name", "pk")
    status = 200
    if form.is_valid():
        if text := form.cleaned_data["q"].strip():
            profiles = profiles.filter(
                Q(full_name__icontains=text) | Q(full_name_ja__icontains=text) | Q(user__email__icontains=text)
            )
        if role := form.cleaned_data["role"]:
            profiles = profiles.filter(role=role)
    else:
        status = BAD_REQUEST
    page = Paginator(profiles, PAGE_SIZE).get_page(request.GET.get("page"))
    for profile in page:
        profile.may_change_role = may_change_role(request.user, profile)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "participants/people.html", {"form": form, "page": page, "query": query.urlencode()},
                  status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def person_role(request: HttpRequest, pk: int) -> HttpResponse:
    _require(can_manage_people(request.user))
    profile = get_object_or_404(Profile.objects.select_related("user", "organization"), pk=pk)
    roles = assignable_roles(request.user, profile)
    if not roles:
        # One's own profile, or an administrator's: nobody changes those here.
        raise PermissionDenied
    form = RoleChangeForm(request.POST or None, roles=roles, initial={"role": profile.role})
    if request.method == "POST" and form.is_valid():
        role_label = dict(Profile.Role.choices)[form.cleaned_data["role"]]
        try:
            grant = services.change_role(profile=profile, role=form.cleaned_data["role"], by=request.user)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect(reverse("participants:people"))
        if grant is not None:
            messages.info(
                request,
                _("%(name)s will be %(role)s once another member of the secretariat approves it.")
                % {"name": profile.display_name, "role": role_label},
            )
            return redirect(reverse("participants:role_grants"))
        messages.success(request, _("%(name)s is now: %(role)s.") % {"name": profile.display_name, "role": role_label})
        return redirect(reverse("participants:people"))
    return render(request, "participants/person_role.html", {"form": form, "person": profile},
                  status=BAD_REQUEST if form.errors else 200)


# Privileged roles: four eyes ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def role_grants(request: HttpRequest) -> HttpResponse:
    """Privileged roles given by one member of the secretariat, waiting for another."""
    _require(can_view_role_grants(request.user))
    pending = list(
        RoleGrant.objects.filter(status=RoleGrant.Status.PENDING)
        .select_related("profile__user", "profile__organization", "requested_by__profile")
        .order_by("requested_at", "pk")
    )
    for grant in pending:
        grant.may_decide = can_decide_role_grant(request.user, grant)
    return render(request, "participants/role_grants.html", {"grants": pending})


def _decide_role_grant(request: HttpRequest, pk: int, decide, done: str) -> HttpResponse:
    _require(can_view_role_grants(request.user))
    grant = get_object_or_404(RoleGrant.objects.select_related("profile__user"), pk=pk)
    try:
        decide(grant=grant, by=request.user)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, done % {"name": grant.profile.display_name, "role": grant.get_role_display()})
    return redirect(reverse("participants:role_grants"))


@login_required
@require_POST
def role_grant_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide_role_grant(request, pk, services.approve_role_grant, _("%(name)s is now: %(role)s."))


@login_required
@require_POST
def role_grant_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide_role_grant(request, pk, services.decline_role_grant,
                              _("Declined: %(name)s keeps their role and is not %(role)s."))


# Signing out everywhere ------------------------------------------------------------------


@login_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    # The form checks a password: a stolen session must not be a way to guess it.
    if request.method == "POST" and (refused := ratelimit.consume_or_429(request, action="reauthenticate",
                                                                      user=request.user)):
        return refused
    form = SignOutEverywhereForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if sign_out_everywhere_service(user=request.user, password=form.cleaned_data["password"]):
            logout(request)
            messages.success(request, _("You are signed out on every device, this one included."))
            return redirect("account_login")
        form.add_error("password", _("That is not your password; nobody was signed out."))
    return render(request, "participants/sign_out_everywhere.html", {"form": form},
                  status=BAD_REQUEST if form.errors else 200)
