"""Backups that restore: the database, the papers and a manifest, in one encrypted archive.

The archive (operations/archive.py encrypts it) is a tar stream of

- `database.dump`: `pg_dump --format=custom` on PostgreSQL, or `database.sqlite3`, a
  consistent copy made with SQLite's online backup, for the embedded portal;
- `media/<name>`: every file of the default storage (the papers), read through Django's
  storage API, so a shared filesystem or an S3-compatible store is backed up alike;
- `manifest.json`, last: the SHA-256 of every other member, and the schema version (every
  migration applied to the database).

A restore decrypts into a private staging folder and checks everything before it changes
anything: the key, every chunk's tag, every checksum, that the code knows every migration
of the archive, that the database and the storage are empty. Then it loads the dump, puts
the files back through the storage API, applies the migrations the archive is behind by,
and erases again everyone the erasure ledger names (dicas_portal/erasure_ledger.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from dicas_portal import erasure_ledger

from .archive import ArchiveError, DecryptingReader, EncryptingWriter, decode_key

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
ARCHIVE_SUFFIX = ".dicasbak"
ARCHIVE_NAME = re.compile(r"^dicas-backup-(\d{8}T\d{6}Z)(?:-\d+)?" + re.escape(ARCHIVE_SUFFIX) + "$")
READ_SIZE = 1024 * 1024


class ChecksumMismatch(ArchiveError):
    pass


class NewerSchema(ArchiveError):
    pass


class NotEmpty(ArchiveError):
    pass


@dataclass
class RestoreReport:
    created_at: str
    tables: int
    files: int
    migrations_applied: list[str] = field(default_factory=list)
    erasures_reapplied: int = 0


def _key() -> str:
    key = settings.BACKUP_ENCRYPTION_KEY
    if not key:
        raise ArchiveError("BACKUP_ENCRYPTION_KEY is not set: backups are always encrypted.")
    decode_key(key)
    return key


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _pg_environment() -> dict[str, str]:
    db = connection.settings_dict
    environment = {**os.environ, "PGDATABASE": db["NAME"]}
    for variable, value in (("PGHOST", db.get("HOST")), ("PGPORT", db.get("PORT")),
                            ("PGUSER", db.get("USER")), ("PGPASSWORD", db.get("PASSWORD"))):
        if value:
            environment[variable] = str(value)
    return environment


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True)
    if result.returncode != 0:
        raise ArchiveError(f"{command[0]} failed: {result.stderr.strip()}")


def applied_migrations() -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [[app, name] for app, name in cursor.fetchall()]


def known_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def storage_files(storage: Storage, directory: str = "") -> list[str]:
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # a filesystem storage whose folder is not made yet: empty
        return []
    names = [f"{directory}/{name}" if directory else name for name in files]
    for subdirectory in directories:
        names += storage_files(storage, f"{directory}/{subdirectory}" if directory else subdirectory)
    return sorted(names)


class _Hashing:
    """A file object that hashes what is read through it."""

    def __init__(self, source: BinaryIO):
        self.source = source
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.sha256.update(data)
        return data


def _add_file(archive: tarfile.TarFile, name: str, source: BinaryIO, size: int) -> str:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    hashing = _Hashing(source)
    archive.addfile(info, hashing)
    return hashing.sha256.hexdigest()


def _dump_database(staging: Path) -> Path:
    if _is_postgres():
        target = staging / "database.dump"
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"])
        return target
    target = staging / "database.sqlite3"
    source = sqlite3.connect(connection.settings_dict["NAME"])
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target


def archive_name(moment: datetime) -> str:
    return f"dicas-backup-{moment.astimezone(dt_timezone.utc):%Y%m%dT%H%M%SZ}{ARCHIVE_SUFFIX}"


def create_backup(*, directory: Path | None = None, storage: Storage | None = None) -> Path:
    """Writes one encrypted archive into `directory` (BACKUP_DIR) and returns its path.

    Side effects: the archive file (written under a temporary name, renamed when complete,
    so a half-written one is never taken for a backup); the database dump sits unencrypted
    in a private temporary folder while the archive is written.
    """
    key = _key()
    storage = storage or default_storage
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    created_at = timezone.now()
    target = directory / archive_name(created_at)
    attempt = 1
    while target.exists():  # two backups within one second
        attempt += 1
        target = directory / archive_name(created_at).replace(ARCHIVE_SUFFIX, f"-{attempt}{ARCHIVE_SUFFIX}")
    partial = target.with_suffix(".partial")
    with tempfile.TemporaryDirectory(prefix="dicas-backup-") as staging_name:
        staging = Path(staging_name)
        os.chmod(staging, 0o700)
        migrations = applied_migrations()
        dump = _dump_database(staging)
        manifest: dict = {
            "format": FORMAT,
            "created_at": created_at.isoformat(),
            "database": {"engine": connection.vendor, "member": dump.name},
            "migrations": migrations,
            "files": {},
        }
        with open(partial, "wb") as output, EncryptingWriter(output, key) as encrypted:
            with tarfile.open(fileobj=encrypted, mode="w|") as archive:
                with open(dump, "rb") as source:
                    manifest["files"][dump.name] = _add_file(archive, dump.name, source, dump.stat().st_size)
                for name in storage_files(storage):
                    with storage.open(name, "rb") as source:
                        member = MEDIA_PREFIX + name
                        manifest["files"][member] = _add_file(archive, member, source, storage.size(name))
                body = json.dumps(manifest, indent=2, sort_keys=True).encode()
                _add_file(archive, MANIFEST, _BytesSource(body), len(body))
            output.flush()
            os.fsync(output.fileno())
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return target


class _BytesSource:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = len(self.data)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _unpack(path: Path, key: str, staging: Path) -> dict:
    """Decrypts and unpacks the archive into `staging`, checking every member against the
    manifest; returns the manifest."""
    hashes: dict[str, str] = {}
    manifest_body: bytes | None = None
    try:
        with open(path, "rb") as source:
            reader = DecryptingReader(source, key)
            with tarfile.open(fileobj=reader, mode="r|") as archive:
                for member in archive:
                    if not member.isfile() or not _safe_member_name(member.name):
                        raise ArchiveError(f"The archive holds an unexpected entry: {member.name!r}.")
                    extracted = archive.extractfile(member)
                    if member.name == MANIFEST:
                        manifest_body = extracted.read()
                        continue
                    destination = staging / member.name
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    digest = hashlib.sha256()
                    with open(destination, "wb") as output:
                        while chunk := extracted.read(READ_SIZE):
                            digest.update(chunk)
                            output.write(chunk)
                    hashes[member.name] = digest.hexdigest()
    except tarfile.TarError as error:
        raise ArchiveError(f"The archive's contents are not readable: {error}.") from None
    if manifest_body is None:
        raise ArchiveError("The archive has no manifest.")
    try:
        manifest = json.loads(manifest_body)
    except ValueError:
        raise ArchiveError("The archive's manifest is not readable.") from None
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"The archive is of format {manifest.get('format')!r}; this version reads {FORMAT}.")
    expected = manifest.get("files", {})
    wrong = sorted(name for name in set(expected) | set(hashes) if expected.get(name) != hashes.get(name))
    if wrong:
        raise ChecksumMismatch("The archive fails its checksums: " + ", ".join(wrong[:10]) + ".")
    return manifest


def _check_schema(manifest: dict) -> list[tuple[str, str]]:
    """The archive's migrations unknown to this code (it comes from a newer version)."""
    known = known_migrations()
    return sorted(tuple(pair) for pair in manifest.get("migrations", []) if tuple(pair) not in known)


def _database_is_empty() -> bool:
    if not _is_postgres():
        name = connection.settings_dict["NAME"]
        if str(name) == ":memory:" or not Path(name).exists():
            return True
    return not connection.introspection.table_names()


def restore_backup(*, path: Path, force: bool = False, storage: Storage | None = None) -> RestoreReport:
    """Brings an archive back into an empty database and an empty storage.

    Raises an ArchiveError subclass, changing nothing, for a wrong key, a damaged or altered
    archive, failed checksums, an archive from a newer schema, or a database or storage that
    is not empty (unless `force`: the archive's tables and files then replace the ones of the
    same names). Side effects: the database and the files; the migrations the archive is
    behind by; the erasures of the ledger applied again (each with an audit event).
    """
    key = _key()
    storage = storage or default_storage
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"No archive at {path}.")
    with tempfile.TemporaryDirectory(prefix="dicas-restore-") as staging_name:
        staging = Path(staging_name)
        os.chmod(staging, 0o700)
        manifest = _unpack(path, key, staging)
        unknown = _check_schema(manifest)
        if unknown:
            names = ", ".join(f"{app}.{name}" for app, name in unknown[:10])
            raise NewerSchema(
                f"The archive comes from a newer version of the portal: this code does not know "
                f"the migrations {names}. Restore it with the version that made it."
            )
        engine = manifest["database"]["engine"]
        if engine != connection.vendor:
            raise ArchiveError(f"The archive holds a {engine} database; this portal runs on {connection.vendor}.")
        existing_files = storage_files(storage)
        if not force:
            if not _database_is_empty():
                raise NotEmpty("The database is not empty; restore into an empty one (or pass --force).")
            if existing_files:
                raise NotEmpty("The media storage is not empty; restore into an empty one (or pass --force).")
        _load_database(staging / manifest["database"]["member"], force=force)
        media = sorted(name for name in manifest["files"] if name.startswith(MEDIA_PREFIX))
        for member in media:
            name = member[len(MEDIA_PREFIX):]
            if name in existing_files:
                storage.delete(name)
            with open(staging / member, "rb") as source:
                saved = storage.save(name, File(source, name=name))
            if saved != name:
                raise ArchiveError(f"The storage kept {name} as {saved}; the papers would not be found.")
    before = {tuple(pair) for pair in applied_migrations()}
    call_command("migrate", interactive=False, verbosity=0)
    after = {tuple(pair) for pair in applied_migrations()}
    report = RestoreReport(
        created_at=manifest["created_at"],
        tables=len(connection.introspection.table_names()),
        files=len(media),
        migrations_applied=[f"{app}.{name}" for app, name in sorted(after - before)],
    )
    report.erasures_reapplied = reapply_erasures()
    _forget_cached_pages()
    return report


def _load_database(dump: Path, *, force: bool) -> None:
    connection.close()
    if _is_postgres():
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                   f"--dbname={connection.settings_dict['NAME']}"]
        if force:
            command += ["--clean", "--if-exists"]
        _run([*command, str(dump)])
    else:
        target = Path(connection.settings_dict["NAME"])
        partial = target.with_name(target.name + ".restoring")
        shutil.copyfile(dump, partial)
        os.replace(partial, target)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def reapply_erasures() -> int:
    from participants.services import reapply_erasure

    return sum(1 for user_id in erasure_ledger.erased_user_ids() if reapply_erasure(user_id=user_id))


def _forget_cached_pages() -> None:
    """Pages cached from the database as it was before are not served again."""
    from forums.cache import content_changed

    content_changed()


def prune_backups(*, directory: Path | None = None, keep_days: int | None = None,
                  now: datetime | None = None) -> list[Path]:
    """Deletes the archives (named by the time they were made) older than `keep_days`
    (BACKUP_KEEP_DAYS); the newest archive is always kept. Returns what it deleted."""
    directory = Path(directory or settings.BACKUP_DIR)
    keep_days = settings.BACKUP_KEEP_DAYS if keep_days is None else keep_days
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    archives = []
    for path in directory.glob(f"dicas-backup-*{ARCHIVE_SUFFIX}") if directory.exists() else []:
        match = ARCHIVE_NAME.match(path.name)
        if match:
            made = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt_timezone.utc)
            archives.append((made, path))
    archives.sort()
    deleted = []
    for made, path in archives[:-1]:
        if made < cutoff:
            path.unlink()
            deleted.append(path)
    return deleted
