"""Each request's id, log line and metrics (dicas_portal/log_context.py, metrics.py).

The id comes from the X-Request-ID a trusted proxy sent (TRUSTED_PROXIES; nginx passes
its $request_id), when it looks like an identifier, or is made here; it is sent back in
the response's X-Request-ID, and every log line and audit record written while the
request is answered carries it. One line per request, after the answer: the view, the
method, the status, the duration and the signed-in person's id (never their e-mail).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from . import log_context
from .client_address import from_trusted_proxy
from .metrics import observe_request

logger = logging.getLogger("dicas_portal.requests")

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED_VIEW = "<unmatched>"


def incoming_request_id(request: HttpRequest) -> str | None:
    if not from_trusted_proxy(request):
        return None
    return log_context.sane_request_id(request.headers.get(REQUEST_ID_HEADER))


def view_of(request: HttpRequest) -> str:
    """The resolver's name for the page (e.g. "forums:meeting"), never the path itself."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # A middleware answered before the view was chosen (a redirect to sign in).
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED_VIEW
    return match.view_name or match._func_path


def signed_in_person_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


class RequestLogMiddleware:
    """Right after ClientAddressMiddleware: it times nearly everything the request costs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        request.request_id = incoming_request_id(request) or log_context.new_request_id()
        tokens = [(log_context.request_id, log_context.request_id.set(request.request_id))]
        request._log_context_tokens = tokens
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            self._finished(request, response.status_code, started)
            return response
        except Exception:
            self._finished(request, 500, started)
            raise
        finally:
            for variable, token in reversed(tokens):
                variable.reset(token)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # By now the person is known and the view chosen: lines the view writes carry both.
        tokens = getattr(request, "_log_context_tokens", None)
        if tokens is None:
            return
        tokens.append((log_context.view_name, log_context.view_name.set(view_of(request))))
        tokens.append((log_context.person_id, log_context.person_id.set(signed_in_person_id(request))))

    def _finished(self, request: HttpRequest, status: int, started: float) -> None:
        seconds = time.monotonic() - started
        view = view_of(request)
        observe_request(view=view, method=request.method or "", status=status, seconds=seconds)
        logger.info("%s %s %s", request.method, view, status, extra={
            "view": view,
            "person_id": signed_in_person_id(request),
            "method": request.method,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
        })
