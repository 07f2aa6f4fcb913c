"""Old backups are deleted, recent ones and the newest kept; the periodic backup does both."""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

import pytest
from django.core.management import call_command

from operations.archive import generate_key
from operations.backup import archive_name, prune_backups
from operations.tasks import backup_and_prune

NOW = datetime(2026, 12, 1, 23, 0, tzinfo=dt_timezone.utc)


def archive_of(folder: Path, days_ago: float) -> Path:
    path = folder / archive_name(NOW - timedelta(days=days_ago))
    path.write_bytes(b"DICASBK1")
    return path


def test_archives_older_than_the_setting_are_deleted(tmp_path):
    old, older, recent = archive_of(tmp_path, 31), archive_of(tmp_path, 90), archive_of(tmp_path, 2)
    ledger = tmp_path / "erasure-ledger.jsonl"
    ledger.write_text('{"user_id": 3}\n')
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("kept")

    deleted = prune_backups(directory=tmp_path, keep_days=30, now=NOW)

    assert sorted(deleted) == sorted([old, older])
    assert recent.exists() and ledger.exists() and unrelated.exists()


def test_the_newest_archive_is_kept_however_old(tmp_path):
    only = archive_of(tmp_path, 400)
    assert prune_backups(directory=tmp_path, keep_days=30, now=NOW) == []
    assert only.exists()


@pytest.mark.django_db(transaction=True)
def test_the_periodic_backup_writes_an_archive_and_prunes(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_ENCRYPTION_KEY = generate_key()
    settings.BACKUP_KEEP_DAYS = 30
    ancient = tmp_path / archive_name(datetime.now(dt_timezone.utc) - timedelta(days=45))
    ancient.write_bytes(b"DICASBK1")

    written = Path(backup_and_prune.delay().get())

    assert written.exists() and written.read_bytes()[:8] == b"DICASBK1"
    assert not ancient.exists()


def test_a_backup_without_a_key_is_refused_with_the_reason(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path
    settings.BACKUP_ENCRYPTION_KEY = ""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEY is not set"):
        call_command("backup")
    assert list(tmp_path.iterdir()) == []


def test_the_command_prints_a_new_key_that_encrypts(tmp_path):
    from io import StringIO

    from operations.archive import decode_key

    output = StringIO()
    call_command("backup", "--generate-key", stdout=output)
    assert len(decode_key(output.getvalue().strip())) == 32
    assert list(tmp_path.iterdir()) == []
