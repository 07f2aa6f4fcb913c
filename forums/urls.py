from django.urls import path

from . import feeds, views

app_name = "forums"

urlpatterns = [
    path("", views.home, name="home"),
    path("meetings/", views.schedule, name="schedule"),
    path("meetings/calendar/", views.calendar_today, name="calendar"),
    path("meetings/calendar/<int:year>/<int:month>/", views.calendar_month, name="calendar_month"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>.ics", feeds.meeting_ics, name="meeting_ics"),
    path("calendar/<str:token>.ics", feeds.personal_feed, name="personal_feed"),
    path("papers/<int:pk>/download/", views.download_paper, name="download_paper"),
]
