from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Delivery, Dispatch, NotificationPreference, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at"]
    search_fields = ["hostname"]
    readonly_fields = ["hostname", "seen_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The outbox is written by services and the worker only: the admin shows it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "audience", "target_type", "target_id", "expanded_at",
                    "sent_count", "waiting_count", "failed_count"]
    list_filter = ["event", "audience"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return selectors.dispatches_with_counts()

    @admin.display(description=_("sent"), ordering="sent_count")
    def sent_count(self, dispatch: Dispatch) -> int:
        return dispatch.sent_count

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting_count(self, dispatch: Dispatch) -> int:
        return dispatch.waiting_count

    @admin.display(description=_("failed"), ordering="failed_count")
    def failed_count(self, dispatch: Dispatch) -> int:
        return dispatch.failed_count


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["dispatch", "recipient", "status", "attempts", "sent_at", "next_attempt_at", "last_error"]
    list_filter = ["status", "dispatch__event"]
    search_fields = ["recipient__email"]
    list_select_related = ["dispatch", "recipient"]
    raw_id_fields = ["dispatch", "recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["person", "category", "mode", "updated_at"]
    list_filter = ["category", "mode"]
    search_fields = ["person__email"]
    raw_id_fields = ["person"]
