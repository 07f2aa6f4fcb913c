from django.contrib import admin

from forums.admin import ReadOnlyAdmin

from .models import ActionItem, Membership, WorkingGroup


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_ja", "slug", "forum", "position"]
    list_filter = ["forum"]
    search_fields = ["name_en", "name_ja", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "working_group", "role", "joined_at"]
    list_filter = ["working_group", "role"]
    search_fields = ["person__email", "person__profile__full_name", "working_group__name_en"]
    list_select_related = ["person", "working_group"]
    autocomplete_fields = ["person"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    """Recorded and moved along on the group's pages (working_groups.services), which notify."""

    list_display = ["text", "working_group", "owner_person", "owner_organization", "due_on", "status", "meeting"]
    list_filter = ["status", "working_group"]
    search_fields = ["text", "owner_person__email", "owner_person__profile__full_name", "owner_organization__name"]
    list_select_related = ["working_group", "owner_person", "owner_organization", "meeting"]
    autocomplete_fields = ["owner_person"]
    raw_id_fields = ["meeting", "owner_organization"]
    date_hierarchy = "due_on"
    readonly_fields = ["created_by", "created_at", "updated_at"]
