from django.urls import path

from . import account_views, affiliation_views, enrolment_views, views

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
    # Verified affiliations (affiliation_views.py): the secretariat's requests, reviews and domains.
    path("affiliations/", affiliation_views.affiliations, name="affiliations"),
    path("affiliations/<int:pk>/approve/", affiliation_views.affiliation_approve, name="affiliation_approve"),
    path("affiliations/<int:pk>/decline/", affiliation_views.affiliation_decline, name="affiliation_decline"),
    path("affiliations/reviews/<int:pk>/renew/", affiliation_views.review_renew, name="review_renew"),
    path("affiliations/domains/", affiliation_views.verified_domains, name="verified_domains"),
    path("affiliations/domains/<int:pk>/remove/", affiliation_views.verified_domain_remove,
         name="verified_domain_remove"),
    path("people/role-grants/", account_views.role_grants, name="role_grants"),
    path("people/role-grants/<int:pk>/approve/", account_views.role_grant_approve, name="role_grant_approve"),
    path("people/role-grants/<int:pk>/decline/", account_views.role_grant_decline, name="role_grant_decline"),
]
