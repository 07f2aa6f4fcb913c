from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import services
from .models import Profile


def own_profile(request) -> Profile:
    # An account without a profile (a bare superuser) has no feed to show or reset.
    return get_object_or_404(Profile.objects.select_related("organization"), user=request.user)


@login_required
@require_safe
def profile(request):
    profile = own_profile(request)
    feed_url = request.build_absolute_uri(reverse("forums:personal_feed", args=[profile.calendar_token]))
    return render(request, "participants/profile.html", {"profile": profile, "feed_url": feed_url})


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
