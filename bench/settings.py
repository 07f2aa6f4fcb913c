"""The portal's own settings, plus a benchmark-only URLconf with the baseline page."""

from dicas_portal.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
