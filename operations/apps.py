from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What the team running the portal does to it: backups, restores, periodic tasks that
    must not run twice at once. Above every other app: it may import them all."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"
