"""gunicorn's own lines (workers booting, a worker timed out) in the portal's format:
JSON in production or with LOG_FORMAT=json, like every other line (dicas_portal/log_context.py).
Used by deploy/dicas-web.service: gunicorn -c python:dicas_portal.gunicorn_conf …

Read before Django's settings, so it decides from the same variables the same way.
"""

import environ

_env = environ.Env()
_format = _env.str("LOG_FORMAT", default="") or ("text" if _env.bool("DJANGO_DEBUG", default=True) else "json")

if _format == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            # Not propagated: Django's settings give the root a handler of their own.
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            # The portal writes each request's line itself (dicas_portal/request_log.py).
            "gunicorn.access": {"level": "WARNING", "handlers": ["json"], "propagate": False},
        },
        "filters": {"context": {"()": "dicas_portal.log_context.ContextFilter"}},
        "formatters": {"json": {"()": "dicas_portal.log_context.JsonFormatter"}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"],
                              "stream": "ext://sys.stderr"}},
    }
