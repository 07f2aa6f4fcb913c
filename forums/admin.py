from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AgendaItem, CoChair, Document, Forum, ForumCountry, Meeting, Minutes, Registration
from .models import AgendaVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services change (each records its notices, raises SEQUENCE, checks
    what the state allows): the admin shows them and never writes them. The secretariat's
    pages (forums/meeting_views.py and the publishing and registration pages) do."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ForumCountryInline(admin.TabularInline):
    model = ForumCountry
    extra = 0


class CoChairInline(admin.TabularInline):
    model = CoChair
    extra = 0
    autocomplete_fields = ["holder"]


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ["acronym", "name", "name_ja"]
    search_fields = ["acronym", "name", "name_ja"]
    inlines = [ForumCountryInline, CoChairInline]
    raw_id_fields = ["terms_of_reference"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["position", "title_en", "title_ja", "presenter", "duration_minutes"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["title_en", "kind", "working_group", "starts_at", "time_zone", "status", "visibility"]
    list_filter = ["kind", "status", "visibility", "working_group", "venue_country"]
    search_fields = ["title_en", "title_ja", "venue_en", "venue_ja"]
    date_hierarchy = "starts_at"
    list_select_related = ["working_group"]
    inlines = [AgendaItemInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "position", "title_en", "presenter", "duration_minutes"]
    search_fields = ["title_en", "title_ja", "presenter", "meeting__title_en"]
    list_select_related = ["meeting"]
    raw_id_fields = ["meeting"]


@admin.register(Minutes)
class MinutesAdmin(SimpleHistoryAdmin):
    list_display = ["meeting", "version", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["meeting__title_en", "body"]
    list_select_related = ["meeting"]
    raw_id_fields = ["meeting"]

    # Minutes move only through the workflow (forums.services.minutes): here they are read,
    # with their history, never changed.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AgendaVersion)
class AgendaVersionAdmin(admin.ModelAdmin):
    """Published agendas are frozen: shown, never changed here."""

    list_display = ["meeting", "number", "published_at", "published_by"]
    list_select_related = ["meeting", "published_by"]
    search_fields = ["meeting__title_en"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "marking", "language", "meeting", "working_group", "uploaded_at"]
    list_filter = ["marking", "language", "working_group"]
    search_fields = ["title", "meeting__title_en"]
    list_select_related = ["meeting", "working_group"]
    raw_id_fields = ["meeting"]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["person", "meeting", "organization", "status", "created_at"]
    list_filter = ["status", "meeting__kind", "organization__country"]
    search_fields = ["person__email", "person__profile__full_name", "organization__name", "meeting__title_en"]
    list_select_related = ["person", "meeting", "organization"]
    raw_id_fields = ["meeting", "person"]
