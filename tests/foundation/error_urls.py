"""The portal's URLs and three views that fail on purpose, for tests/foundation/test_error_pages.py."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.urls import path

from dicas_portal.urls import urlpatterns as portal_urlpatterns


def database_down(request):
    raise DatabaseError("the database went away")


def refused(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("a request the portal cannot trust")


urlpatterns = [
    path("test-errors/database-down/", database_down),
    path("test-errors/refused/", refused),
    path("test-errors/suspicious/", suspicious),
    *portal_urlpatterns,
]
