from django.urls import path

from . import views

app_name = "participants"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/details/", views.profile_details, name="profile_details"),
    path("profile/calendar-token/reset/", views.reset_calendar_token, name="reset_calendar_token"),
]
