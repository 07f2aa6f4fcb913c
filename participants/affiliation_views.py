"""The secretariat's affiliation pages: pending requests to approve or decline, reviews due,
and the verified e-mail domains. Thin views: parse, check permission, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from allauth.account.models import EmailAddress

from . import affiliations as services
from .affiliation_forms import DeclineForm, ReviewDateForm, VerifiedDomainForm
from .models import Affiliation, Profile, VerifiedDomain
from .permissions import can_manage_affiliations, review_day

BAD_REQUEST = 400
# The page lists at most this many requests and reviews at once, oldest first.
LIST_LIMIT = 200


def _require_secretariat(request: HttpRequest) -> None:
    if not can_manage_affiliations(request.user):
        raise PermissionDenied


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_http_methods(["GET", "HEAD"])
def affiliations(request: HttpRequest) -> HttpResponse:
    _require_secretariat(request)
    pending = list(
        Affiliation.objects.filter(status=Affiliation.Status.PENDING)
        .select_related("person__profile", "organization__country")
        .order_by("requested_at", "pk")[:LIST_LIMIT]
    )
    addresses: dict[int, list[str]] = {}
    for address in EmailAddress.objects.filter(user_id__in=[a.person_id for a in pending], verified=True):
        addresses.setdefault(address.user_id, []).append(address.email)
    for affiliation in pending:
        affiliation.confirmed_addresses = addresses.get(affiliation.person_id, [])
    today = review_day()
    horizon = today + services.REVIEW_NOTICE
    due = list(
        Profile.objects.filter(verified_organization__isnull=False, affiliation_review_on__lte=horizon)
        .select_related("user", "verified_organization")
        .order_by("affiliation_review_on", "pk")[:LIST_LIMIT]
    )
    return render(request, "participants/affiliations.html", {
        "pending": pending, "due": due, "review_form": ReviewDateForm(), "decline_form": DeclineForm(),
        "default_review_on": services.default_review_on(), "today": today,
    })


def _decide(request: HttpRequest, pk: int, decide) -> HttpResponse:
    _require_secretariat(request)
    affiliation = get_object_or_404(Affiliation.objects.select_related("person__profile", "organization"), pk=pk)
    try:
        message = decide(affiliation)
    except (ValidationError, PermissionDenied) as refusal:
        text = _messages_of(refusal) if isinstance(refusal, ValidationError) else str(refusal)
        messages.error(request, text or _("This decision is not yours to take."))
    else:
        messages.success(request, message)
    return redirect("participants:affiliations")


@login_required
@require_POST
def affiliation_approve(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReviewDateForm(request.POST)

    def approve(affiliation: Affiliation) -> str:
        if not form.is_valid():
            raise ValidationError(_("Enter the review date as a date, or leave it empty."))
        services.approve_affiliation(affiliation=affiliation, by=request.user,
                                     review_on=form.cleaned_data["review_on"])
        return _("%(name)s is now verified as working for %(organization)s.") % {
            "name": affiliation.person.profile.display_name, "organization": affiliation.organization.display_name}

    return _decide(request, pk, approve)


@login_required
@require_POST
def affiliation_decline(request: HttpRequest, pk: int) -> HttpResponse:
    form = DeclineForm(request.POST)

    def decline(affiliation: Affiliation) -> str:
        services.decline_affiliation(affiliation=affiliation, by=request.user,
                                     reason=form.data.get("reason", "") if form.is_bound else "")
        return _("The request of %(name)s is declined.") % {"name": affiliation.person.profile.display_name}

    return _decide(request, pk, decline)


@login_required
@require_POST
def review_renew(request: HttpRequest, pk: int) -> HttpResponse:
    _require_secretariat(request)
    profile = get_object_or_404(Profile.objects.select_related("user"), pk=pk)
    form = ReviewDateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Enter the review date as a date, or leave it empty."))
        renewed = services.renew_review(profile=profile, by=request.user, review_on=form.cleaned_data["review_on"])
    except ValidationError as refusal:
        messages.error(request, _messages_of(refusal))
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("%(name)s: next review by %(date)s.") % {
            "name": renewed.display_name, "date": renewed.affiliation_review_on.isoformat()})
    return redirect("participants:affiliations")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def verified_domains(request: HttpRequest) -> HttpResponse:
    _require_secretariat(request)
    form = VerifiedDomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain = services.add_verified_domain(by=request.user, **form.cleaned_data)
        except ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            messages.success(request, _("Confirmed addresses at @%(domain)s now verify an affiliation with "
                                        "%(organization)s.") % {"domain": domain.domain,
                                                                "organization": domain.organization.display_name})
            return redirect("participants:verified_domains")
    domains = VerifiedDomain.objects.select_related("organization__country", "added_by__profile").order_by(
        "organization__name", "domain")
    return render(request, "participants/verified_domains.html", {"form": form, "domains": domains},
                  status=BAD_REQUEST if form.errors else 200)


@login_required
@require_POST
def verified_domain_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _require_secretariat(request)
    domain = get_object_or_404(VerifiedDomain.objects.select_related("organization"), pk=pk)
    services.remove_verified_domain(domain=domain, by=request.user)
    messages.success(request, _("@%(domain)s no longer verifies anyone's affiliation.") % {"domain": domain.domain})
    return redirect("participants:verified_domains")
