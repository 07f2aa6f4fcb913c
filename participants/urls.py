from django.urls import path

from . import account_views, views

app_name = "participants"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/details/", views.profile_details, name="profile_details"),
    path("profile/calendar-token/reset/", views.reset_calendar_token, name="reset_calendar_token"),
    # Accounts (account_views.py): invitations, people and roles, signing out everywhere.
    path("profile/sign-out-everywhere/", account_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("invitations/", account_views.invitations, name="invitations"),
    path("invitations/<int:pk>/resend/", account_views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", account_views.invitation_revoke, name="invitation_revoke"),
    path("invitations/accept/<str:token>/", account_views.accept_invitation, name="accept_invitation"),
    path("people/", account_views.people, name="people"),
    path("people/<int:pk>/role/", account_views.person_role, name="person_role"),
    path("people/role-grants/", account_views.role_grants, name="role_grants"),
    path("people/role-grants/<int:pk>/approve/", account_views.role_grant_approve, name="role_grant_approve"),
    path("people/role-grants/<int:pk>/decline/", account_views.role_grant_decline, name="role_grant_decline"),
]
