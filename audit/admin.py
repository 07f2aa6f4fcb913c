from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: an audit record that can be edited proves nothing."""

    list_display = ["at", "actor", "action", "target_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["actor__email", "target_repr", "ip", "request_id"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
