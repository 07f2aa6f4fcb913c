from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path

from participants import preferences, sso

from . import health, metrics

# The admin's own sign-in form would skip the second factor: it sends to the portal's.
admin.site.login = secure_admin_login(admin.site.login)


def _administrators_only(request) -> bool:
    """The admin is for administrators (superusers): the secretariat runs the forum from
    the portal's own pages, which go through the services and tell people."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _administrators_only


def _portal_password_change(request, extra_context=None):
    # The admin's own form has no rate limit and leaves no audit record: the portal's
    # (allauth's, under ACCOUNT_RATE_LIMITS["change_password"]) has both.
    return redirect("account_change_password")


admin.site.password_change = _portal_password_change
admin.site.password_change_done = _portal_password_change

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/setlang/", preferences.set_language, name="set_language"),
    path("preferences/time-zone/", preferences.set_time_zone, name="set_time_zone"),
    path("preferences/time-zones/", preferences.choose_time_zone, name="choose_time_zone"),
    path("admin/", admin.site.urls),
    # Before allauth's own: the identity provider's answer goes through the portal's checks.
    path("accounts/oidc/<str:provider_id>/login/callback/", sso.callback, name="portal_oidc_callback"),
    path("accounts/", include("allauth.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("participants.urls")),
    path("", include("audit.urls")),
    path("", include("forums.urls")),
    path("", include("working_groups.urls")),
]
