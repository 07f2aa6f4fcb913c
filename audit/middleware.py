"""Makes the request's address known to the audit record for the length of the request.

Services record events without a request in hand (they are also called from the shell,
admin actions and Celery tasks); `audit.services.record_event` reads the address here.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .services import client_ip, request_address


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_address.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            request_address.reset(token)
