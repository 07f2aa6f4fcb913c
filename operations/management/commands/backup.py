from django.core.management.base import BaseCommand, CommandError

from operations.archive import ArchiveError, generate_key
from operations.backup import create_backup, prune_backups


class Command(BaseCommand):
    help = "Writes one encrypted backup (database, papers, manifest) into BACKUP_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--directory", help="where to write the archive (default: BACKUP_DIR)")
        parser.add_argument("--prune", action="store_true",
                            help="then delete archives older than BACKUP_KEEP_DAYS (the newest is always kept)")
        parser.add_argument("--prune-only", action="store_true", help="delete old archives, write none")
        parser.add_argument("--generate-key", action="store_true", dest="new_key",
                            help="print a new key for BACKUP_ENCRYPTION_KEY and stop")

    def handle(self, *args, directory=None, prune=False, prune_only=False, new_key=False, **options):
        if new_key:
            self.stdout.write(generate_key())
            return
        try:
            if not prune_only:
                path = create_backup(directory=directory)
                self.stdout.write(f"Backup written: {path} ({path.stat().st_size} bytes)")
            if prune or prune_only:
                for deleted in prune_backups(directory=directory):
                    self.stdout.write(f"Deleted old backup: {deleted}")
        except ArchiveError as error:
            raise CommandError(str(error)) from None
