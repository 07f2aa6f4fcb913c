from django.contrib import admin

from .models import Affiliation, Country, Organization, Profile, VerifiedDomain


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
    # Roles change on the portal's people page, through participants.services.change_role,
    # which refuses one's own role and records every change in the audit record; so do the
    # organisation and the review dates, through participants/affiliations.py (/affiliations/).
    readonly_fields = ["calendar_token", "role", "organization", "verified_organization", "affiliation_review_on",
                       "role_review_on"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changed on the portal's own pages only, where every change is audited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Affiliation)
class AffiliationAdmin(ReadOnlyAdmin):
    list_display = ["person", "organization", "status", "method", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status", "method"]
    search_fields = ["person__email", "organization__name"]
    list_select_related = ["person", "organization", "decided_by"]


@admin.register(VerifiedDomain)
class VerifiedDomainAdmin(ReadOnlyAdmin):
    list_display = ["domain", "organization", "added_by", "added_at"]
    search_fields = ["domain", "organization__name"]
    list_select_related = ["organization", "added_by"]
