from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("dispatches/", views.dispatch_list, name="dispatch_list"),
    path("dispatches/<int:pk>/retry/", views.retry_dispatch, name="retry_dispatch"),
    path("preferences/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
