from django.urls import path

from . import views

app_name = "forums"

urlpatterns = [
    path("", views.home, name="home"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
]
