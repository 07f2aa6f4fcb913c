"""The embedded portal (SQLite, `make run`) backs up and restores too: a consistent copy of
the database file, and the papers, into a new file and an empty folder."""

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from operations.archive import generate_key

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[2]


def test_an_embedded_portal_restores_into_a_new_file_and_folder(tmp_path):
    key = generate_key()
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}

    def manage(database: Path, media: Path, *args: str) -> str:
        environment = {**base, "DATABASE_URL": f"sqlite:///{database}", "MEDIA_ROOT": str(media),
                       "BACKUP_DIR": str(tmp_path / "backups"), "BACKUP_ENCRYPTION_KEY": key}
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=environment,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    source, source_media = tmp_path / "portal.sqlite3", tmp_path / "media"
    manage(source, source_media, "migrate", "--noinput")
    manage(source, source_media, "load_demo")
    # The demo writes papers of its own; one more, bigger than any of them.
    (source_media / "papers" / "1").mkdir(parents=True, exist_ok=True)
    (source_media / "papers" / "1" / "annex.pdf").write_bytes(b"%PDF-1.4 " + os.urandom(10_000))
    written = manage(source, source_media, "backup")
    archive = re.search(r"Backup written: (\S+)", written).group(1)

    target, target_media = tmp_path / "restored.sqlite3", tmp_path / "restored-media"
    manage(target, target_media, "restore", archive)

    def rows(path: Path) -> list[str]:
        with sqlite3.connect(path) as connection:
            return list(connection.iterdump())

    assert rows(target) == rows(source)
    assert len(rows(source)) > 200

    def file_hashes(folder: Path) -> dict[str, bytes]:
        return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).digest()
                for path in sorted(folder.rglob("*")) if path.is_file()}

    assert "papers/1/annex.pdf" in file_hashes(source_media)
    assert file_hashes(target_media) == file_hashes(source_media)
