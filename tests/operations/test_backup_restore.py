"""A backup of the demo and a few papers restores into a fresh PostgreSQL database and an
empty media folder, table for table and file for file; the archive is refused, changing
nothing, with a wrong key, altered, or from a newer schema; and someone erased after the
backup stays erased after the restore."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from forums.models import Document, Forum, Meeting
from operations.archive import DecryptingReader, EncryptingWriter, generate_key
from operations.backup import NotEmpty, create_backup, restore_backup
from participants.services import erase_person

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PROJECT = Path(__file__).resolve().parents[2]
PAPERS = {
    "agenda-note.pdf": b"%PDF-1.4 agenda note " + os.urandom(2048),
    "itar-annex.pdf": b"%PDF-1.4 export-controlled annex " + os.urandom(300_000),
    "議事録.txt": "第三回 艦船の補修・整備 作業部会 議事録".encode(),
}


@pytest.fixture
def backup_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_ENCRYPTION_KEY = generate_key()
    settings.PERSONAL_DATA_ERASURE_LEDGER = tmp_path / "backups" / "erasure-ledger.jsonl"
    return settings


@pytest.fixture
def fresh_databases():
    """Empty PostgreSQL databases of the test's own, made with createdb, dropped after."""
    made: list[str] = []
    db = connection.settings_dict
    environment = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432),
                   "PGUSER": db["USER"] or "postgres"}
    if db.get("PASSWORD"):
        environment["PGPASSWORD"] = db["PASSWORD"]

    def make() -> str:
        name = f"{db['NAME']}_restore_{uuid.uuid4().hex[:8]}"
        subprocess.run(["createdb", name], env=environment, check=True)
        made.append(name)
        return name

    yield make
    for name in made:
        subprocess.run(["dropdb", "--if-exists", "--force", name], env=environment, check=False)


def database_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def restore_in(database: str, media: Path, archive: Path, settings, *options: str) -> subprocess.CompletedProcess:
    """`manage.py restore` as the team would run it, against another database and folder."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "MEDIA_ROOT": str(media),
        "BACKUP_DIR": str(settings.BACKUP_DIR),
        "BACKUP_ENCRYPTION_KEY": settings.BACKUP_ENCRYPTION_KEY,
        "PERSONAL_DATA_ERASURE_LEDGER": str(settings.PERSONAL_DATA_ERASURE_LEDGER),
        "CELERY_BROKER_URL": "memory://",
        "CACHE_URL": "",
        "CONN_MAX_AGE": "0",
    }
    return subprocess.run([sys.executable, "manage.py", "restore", str(archive), *options], cwd=PROJECT, env=environment,
                          capture_output=True, text=True, timeout=300)


def every_row(database: str) -> dict[str, list]:
    """Every table of the database, each as its rows sorted (order is not part of the data)."""
    db = connection.settings_dict
    link = psycopg2.connect(dbname=database, host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                            user=db["USER"], password=db.get("PASSWORD") or None)
    try:
        with link.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            tables = [row[0] for row in cursor.fetchall()]
            rows = {}
            for table in tables:
                cursor.execute(f'SELECT * FROM "{table}"')
                rows[table] = sorted(cursor.fetchall(), key=repr)
            return rows
    finally:
        link.close()


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def table_count(database: str) -> int:
    return len(every_row(database))


def demo_with_papers() -> list[Document]:
    call_command("load_demo", stdout=io.StringIO())
    forum = Forum.objects.first()
    meeting = Meeting.objects.filter(forum=forum).first()
    documents = []
    for name, content in PAPERS.items():
        document = Document(forum=forum, meeting=meeting, title=name)
        document.file.save(name, ContentFile(content), save=True)
        documents.append(document)
    return documents


def rewrite(archive: Path, key: str, target: Path, change) -> Path:
    """The archive decrypted, each member passed through `change(name, data)`, encrypted
    again with the same key: what someone holding the key could make."""
    with open(archive, "rb") as source, open(target, "wb") as output:
        reader = DecryptingReader(source, key)
        with EncryptingWriter(output, key) as writer:
            with tarfile.open(fileobj=reader, mode="r|") as old, tarfile.open(fileobj=writer, mode="w|") as new:
                for member in old:
                    data = change(member.name, old.extractfile(member).read())
                    member.size = len(data)
                    new.addfile(member, io.BytesIO(data))
    return target


def test_a_backup_of_the_demo_and_papers_restores_every_row_and_every_file(backup_settings, fresh_databases,
                                                                          tmp_path):
    papers = demo_with_papers()
    archive = create_backup()
    assert archive.read_bytes()[:8] == b"DICASBK1"
    # Encrypted: neither a paper's words nor a person's address appear in the file.
    raw = archive.read_bytes()
    assert "議事録".encode() not in raw and b"export-controlled annex" not in raw
    assert get_user_model().objects.first().email.encode() not in raw

    source_rows = every_row(connection.settings_dict["NAME"])
    source_files = file_hashes(backup_settings.MEDIA_ROOT)
    # Every paper on disk (the demo's own and the ones added here), and nothing else.
    assert set(source_files) == set(Document.objects.values_list("file", flat=True))
    assert {paper.file.name for paper in papers} <= set(source_files) and len(source_files) > len(PAPERS)

    database, media = fresh_databases(), tmp_path / "restored-media"
    result = restore_in(database, media, archive, backup_settings)
    assert result.returncode == 0, result.stderr

    restored_rows = every_row(database)
    assert set(restored_rows) == set(source_rows)
    for table, rows in source_rows.items():
        assert restored_rows[table] == rows, f"table {table} differs after the restore"
    assert sum(len(rows) for rows in source_rows.values()) > 200  # the demo, not an empty schema
    assert file_hashes(media) == source_files


def test_a_restore_refuses_a_wrong_key_an_altered_archive_and_a_newer_schema_changing_nothing(
        backup_settings, fresh_databases, tmp_path):
    demo_with_papers()
    archive = create_backup()
    key = backup_settings.BACKUP_ENCRYPTION_KEY
    database, media = fresh_databases(), tmp_path / "restored-media"

    def refused(path: Path, message: str, settings=backup_settings) -> None:
        result = restore_in(database, media, path, settings)
        assert result.returncode != 0
        assert message in result.stderr, result.stderr
        assert "Nothing was restored" in result.stderr
        assert table_count(database) == 0
        assert not media.exists() or not any(media.rglob("*"))

    backup_settings.BACKUP_ENCRYPTION_KEY = generate_key()
    refused(archive, "encrypted with another key")
    backup_settings.BACKUP_ENCRYPTION_KEY = key

    tampered = tmp_path / "tampered.dicasbak"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    refused(tampered, "damaged or was altered")

    cut_short = tmp_path / "cut-short.dicasbak"
    cut_short.write_bytes(archive.read_bytes()[: len(data) - 100])
    refused(cut_short, "damaged or was altered")

    def swap_a_paper(name: str, content: bytes) -> bytes:
        return b"another paper" if name.endswith("agenda-note.pdf") else content

    refused(rewrite(archive, key, tmp_path / "swapped.dicasbak", swap_a_paper), "fails its checksums")

    def from_the_future(name: str, content: bytes) -> bytes:
        if name != "manifest.json":
            return content
        manifest = json.loads(content)
        manifest["migrations"].append(["forums", "9999_meeting_hologram_room"])
        return json.dumps(manifest).encode()

    refused(rewrite(archive, key, tmp_path / "newer.dicasbak", from_the_future),
            "newer version of the portal: this code does not know the migrations forums.9999_meeting_hologram_room")

    # The same archive, untouched, restores into that same database afterwards.
    assert restore_in(database, media, archive, backup_settings).returncode == 0
    restored = every_row(database)
    # Once more: the database is no longer empty, so only when told to.
    again = restore_in(database, media, archive, backup_settings)
    assert again.returncode != 0 and "The database is not empty" in again.stderr
    again = restore_in(database, media, archive, backup_settings, "--force")
    assert again.returncode == 0, again.stderr
    assert every_row(database) == restored


def test_a_restore_refuses_a_database_that_is_not_empty(backup_settings):
    demo_with_papers()
    archive = create_backup()
    people = get_user_model().objects.count()
    with pytest.raises(NotEmpty, match="database is not empty"):
        restore_backup(path=archive)
    assert get_user_model().objects.count() == people


def test_someone_erased_after_the_backup_stays_erased_after_the_restore(backup_settings, fresh_databases, tmp_path):
    demo_with_papers()
    User = get_user_model()
    person = User.objects.filter(profile__role="industry").select_related("profile").first()
    name, email = person.profile.full_name, person.email
    assert name and email
    archive = create_backup()
    secretariat = User.objects.filter(profile__role="secretariat").first()
    erase_person(user=person, by=secretariat)

    database, media = fresh_databases(), tmp_path / "restored-media"
    result = restore_in(database, media, archive, backup_settings)
    assert result.returncode == 0, result.stderr
    assert "Erasures of personal data applied again: 1." in result.stdout

    rows = every_row(database)
    everything = repr(rows)
    assert email not in everything
    assert name not in everything
    restored = [row for row in rows["auth_user"] if row[0] == person.pk][0]
    assert f"erased-{person.pk}@erased.invalid" in restored
