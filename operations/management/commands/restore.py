from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.archive import ArchiveError
from operations.backup import restore_backup


class Command(BaseCommand):
    help = "Restores an encrypted backup into an empty database and media storage."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .dicasbak file `manage.py backup` wrote")
        parser.add_argument("--force", action="store_true",
                            help="restore over a database or storage that is not empty (its tables and "
                                 "files of the same names are replaced)")

    def handle(self, *args, archive: str, force: bool = False, **options):
        try:
            report = restore_backup(path=Path(archive), force=force)
        except ArchiveError as error:
            raise CommandError(f"Nothing was restored. {error}") from None
        self.stdout.write(f"Restored the backup of {report.created_at}: {report.tables} tables, {report.files} files.")
        if report.migrations_applied:
            self.stdout.write("Migrations applied since that backup: " + ", ".join(report.migrations_applied))
        self.stdout.write(f"Erasures of personal data applied again: {report.erasures_reapplied}.")
