from django.contrib import admin

from .models import Membership, WorkingGroup


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
