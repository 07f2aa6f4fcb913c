from django.urls import path

from . import feeds, meeting_views, registration_views, views
from . import publishing_views

app_name = "forums"

urlpatterns = [
    path("", views.home, name="home"),
    path("meetings/", views.schedule, name="schedule"),
    path("meetings/calendar/", views.calendar_today, name="calendar"),
    path("meetings/calendar/<int:year>/<int:month>/", views.calendar_month, name="calendar_month"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    # The secretariat runs its meetings (meeting_views.py).
    path("meetings/new/", meeting_views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/edit/", meeting_views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/publish/", meeting_views.meeting_publish, name="meeting_publish"),
    path("meetings/<int:pk>/open-registration/", meeting_views.meeting_open_registration,
         name="meeting_open_registration"),
    path("meetings/<int:pk>/postpone/", meeting_views.meeting_postpone, name="meeting_postpone"),
    path("meetings/<int:pk>/cancel/", meeting_views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<int:pk>/mark-held/", meeting_views.meeting_mark_held, name="meeting_mark_held"),
    path("meetings/<int:pk>/duplicate/", meeting_views.meeting_duplicate, name="meeting_duplicate"),
    path("meetings/<int:pk>.ics", feeds.meeting_ics, name="meeting_ics"),
    path("calendar/<str:token>.ics", feeds.personal_feed, name="personal_feed"),
    path("papers/<int:pk>/download/", views.download_paper, name="download_paper"),
    path("papers/<int:pk>/handling/", views.paper_handling, name="paper_handling"),
    # Publishing (publishing_views.py): agenda builder, minutes workflow, papers.
    path("meetings/<int:pk>/agenda/add/", publishing_views.agenda_item_add, name="agenda_item_add"),
    path("meetings/<int:pk>/agenda/publish/", publishing_views.agenda_publish, name="agenda_publish"),
    path("agenda-items/<int:pk>/edit/", publishing_views.agenda_item_edit, name="agenda_item_edit"),
    path("agenda-items/<int:pk>/move/", publishing_views.agenda_item_move, name="agenda_item_move"),
    path("agenda-items/<int:pk>/remove/", publishing_views.agenda_item_remove, name="agenda_item_remove"),
    path("meetings/<int:pk>/minutes/", publishing_views.minutes_workflow, name="minutes_workflow"),
    path("meetings/<int:pk>/minutes/start/", publishing_views.minutes_start, name="minutes_start"),
    path("meetings/<int:pk>/minutes/amend/", publishing_views.minutes_amend, name="minutes_amend"),
    path("meetings/<int:pk>/minutes/versions/", publishing_views.minutes_versions, name="minutes_versions"),
    path("meetings/<int:pk>/minutes/compare/", publishing_views.minutes_diff, name="minutes_diff"),
    path("minutes/preview/", publishing_views.minutes_preview, name="minutes_preview"),
    path("minutes/<int:pk>/", publishing_views.minutes_version, name="minutes_version"),
    path("minutes/<int:pk>/print/", publishing_views.minutes_print, name="minutes_print"),
    path("minutes/<int:pk>/edit/", publishing_views.minutes_edit, name="minutes_edit"),
    path("minutes/<int:pk>/submit/", publishing_views.minutes_submit, name="minutes_submit"),
    path("minutes/<int:pk>/approve/", publishing_views.minutes_approve, name="minutes_approve"),
    path("minutes/<int:pk>/return/", publishing_views.minutes_return, name="minutes_return"),
    path("minutes/<int:pk>/publish/", publishing_views.minutes_publish, name="minutes_publish"),
    path("meetings/<int:pk>/papers/upload/", publishing_views.paper_upload_for_meeting, name="paper_upload_meeting"),
    path("groups/<slug:slug>/papers/upload/", publishing_views.paper_upload_for_group, name="paper_upload_group"),
    # Registrations (registration_views.py)
    path("meetings/<int:pk>/register/", registration_views.register, name="register"),
    path("my/registrations/", registration_views.my_registrations, name="my_registrations"),
    path("my/registrations/<int:pk>/cancel/", registration_views.cancel_registration, name="cancel_registration"),
    path("meetings/<int:pk>/registrations/", registration_views.meeting_registrations, name="meeting_registrations"),
    path("meetings/<int:pk>/registrations/decide/", registration_views.decide_registrations, name="decide_registrations"),
    path("meetings/<int:pk>/registrations/capacity/", registration_views.change_capacity, name="change_capacity"),
    path("meetings/<int:pk>/registrations/attendees.csv", registration_views.export_attendees, name="export_attendees"),
    path("meetings/<int:pk>/registrations/attendees-excel.csv", registration_views.export_attendees,
         {"for_excel": True}, name="export_attendees_excel"),
    path("meetings/<int:pk>/check-in/", registration_views.check_in_desk, name="check_in_desk"),
    path("meetings/<int:pk>/check-in/<int:registration_pk>/", registration_views.check_in, name="check_in"),
    path("meetings/<int:pk>/check-in/attendance.json", registration_views.attendance, name="attendance"),
]
