from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = _("Forums and meetings")

    def ready(self):
        # Rendered fragments go stale when what they show changes (forums/cache.py).
        from .cache import connect_signals

        connect_signals()
