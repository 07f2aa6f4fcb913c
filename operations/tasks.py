"""The periodic backup, when BACKUP_EVERY_HOURS is set (operations/apps.py adds it to beat)."""

import logging

from celery import shared_task

from .backup import create_backup, prune_backups

logger = logging.getLogger(__name__)


@shared_task(name="operations.backup_and_prune")
def backup_and_prune() -> str:
    """Writes one archive into BACKUP_DIR, then deletes those older than BACKUP_KEEP_DAYS.
    Two beats running it at once write two archives of the same moment: harmless."""
    path = create_backup()
    deleted = prune_backups()
    logger.info("Backup written: %s; %s old backups deleted.", path, len(deleted))
    return str(path)
