from django.urls import path

from . import account_views, enrolment_views, views

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
    # Enrolling a second factor by a link sent to the verified address (enrolment_views.py).
    path("security/enrol/", enrolment_views.enrolment_page, name="mfa_enrolment"),
    path("security/enrol/<str:token>/", enrolment_views.enrolment_link, name="mfa_enrolment_link"),
]
