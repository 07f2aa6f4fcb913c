from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import services
from .forms import ProfileDetailsForm
from .mfa import has_second_factor
from .models import Affiliation, Profile
from .permissions import has_verified_affiliation
from .onboarding import profile_is_complete


def own_profile(request) -> Profile:
    # An account without a profile (a bare superuser) has no feed to show or reset.
    return get_object_or_404(Profile.objects.select_related("organization"), user=request.user)


@login_required
@require_safe
def profile(request):
    profile = own_profile(request)
    feed_url = request.build_absolute_uri(reverse("forums:personal_feed", args=[profile.calendar_token]))
    return render(request, "participants/profile.html", {
        "profile": profile, "feed_url": feed_url, "has_second_factor": has_second_factor(request.user),
        "affiliation": Affiliation.objects.filter(person=request.user).order_by("-requested_at", "-pk").first(),
        "affiliation_verified": has_verified_affiliation(request.user),
    })


@login_required
@require_POST
def reset_calendar_token(request):
    services.reset_calendar_token(profile=own_profile(request))
    messages.success(
        request,
        _(
            "Your calendar feed has a new address. The old address no longer works: "
            "subscribe again with the new one in your calendar program."
        ),
    )
    return redirect("participants:profile")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_details(request):
    """The profile step after sign-up, and later the place to change one's details."""
    profile = getattr(request.user, "profile", None)
    role = profile.role if profile else Profile.Role.INDUSTRY
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: redirect() would take a bare word ("0") for a view name.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        form = ProfileDetailsForm(request.POST, role=role)
        if form.is_valid():
            # This request goes on with the profile as saved (its affiliation may have just changed).
            request.user.profile = services.save_profile_details(user=request.user, **form.cleaned_data)
            # The notice already speaks the language just chosen, as the next page will.
            translation.activate(form.cleaned_data["preferred_language"])
            messages.success(request, _("Your profile is saved."))
            if form.cleaned_data["new_organization"]:
                messages.info(request, _("The secretariat will confirm your organisation before it appears on the list."))
            elif not has_verified_affiliation(request.user):
                messages.info(request, _("The secretariat will confirm your affiliation; until then you see public "
                                         "meetings only."))
            return redirect(next_url or "forums:home")
    else:
        form = ProfileDetailsForm(
            initial=ProfileDetailsForm.initial_for(
                profile, language=translation.get_language(), time_zone=request.viewer_time_zone
            ),
            role=role,
        )
    return render(
        request,
        "participants/profile_details.html",
        {"form": form, "next": next_url, "first_time": not profile_is_complete(profile)},
        status=400 if form.errors else 200,
    )
