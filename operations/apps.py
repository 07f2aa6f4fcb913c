from django.apps import AppConfig
from django.conf import settings


class OperationsConfig(AppConfig):
    """What the team running the portal does to it: backups and restores. Above every
    other app: it may import them all, none imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"

    def ready(self) -> None:
        if settings.BACKUP_EVERY_HOURS > 0:
            from dicas_portal.celery import app

            app.conf.beat_schedule["backup-and-prune"] = {
                "task": "operations.backup_and_prune",
                "schedule": settings.BACKUP_EVERY_HOURS * 3600.0,
            }
