from django.contrib import admin

from .models import Country, Organization, Profile


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ja"]
    search_fields = ["code", "name_en", "name_ja"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "name_ja", "acronym", "kind", "country", "confirmed"]
    list_filter = ["kind", "country", "confirmed"]
    search_fields = ["name", "name_ja", "acronym"]
    list_select_related = ["country"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "full_name", "organization", "role", "preferred_language", "time_zone"]
    list_filter = ["role", "preferred_language", "organization__country"]
    search_fields = ["user__email", "full_name", "full_name_ja", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["organization"]
    # Roles change on the portal's people page, through participants.services.change_role,
    # which refuses one's own role and records every change in the audit record.
    readonly_fields = ["calendar_token", "role"]
