from django.urls import path
from django.views.generic.base import RedirectView

from . import views

app_name = "working_groups"

urlpatterns = [
    path("groups/<slug:slug>/", views.group_detail, name="detail"),
    # The address the issue names; the page lives at the shorter one.
    path("working-groups/<slug:slug>/", RedirectView.as_view(pattern_name="working_groups:detail", permanent=True)),
    path("my/action-items/", views.my_action_items, name="my_action_items"),
    path("meetings/<int:pk>/action-items/add/", views.action_item_add, name="action_item_add"),
    path("action-items/<int:pk>/status/", views.action_item_status, name="action_item_status"),
]
