"""The encrypted container of a backup: AES-256-GCM over chunks, streamed both ways.

A backup holds export-controlled papers and personal data, and can be larger than the
memory of the machine restoring it, so it is encrypted as it is written and decrypted as it
is read, one chunk at a time:

    header  = MAGIC | key fingerprint (16 bytes) | nonce prefix (8 random bytes)
    chunk i = last flag (1 byte) | length (4 bytes) | AES-GCM(key, prefix | i, plaintext,
              associated data = header | i | last flag)

Each chunk's tag covers its place and whether it is the last, so a chunk changed, moved,
dropped, or an archive cut short is refused. The fingerprint (an HMAC of a fixed text under
the key) tells a wrong key apart from a damaged archive before anything is decrypted.

The key is a Fernet key (32 bytes in URL-safe base64), as `Fernet.generate_key()` makes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"DICASBK1"
FINGERPRINT_LENGTH = 16
NONCE_PREFIX_LENGTH = 8
HEADER_LENGTH = len(MAGIC) + FINGERPRINT_LENGTH + NONCE_PREFIX_LENGTH
CHUNK_SIZE = 1024 * 1024
TAG_LENGTH = 16
_CHUNK_HEAD = struct.Struct(">BI")


class ArchiveError(Exception):
    """An archive that cannot be restored; the message says why, for the person restoring."""


class BadKey(ArchiveError):
    pass


class WrongKey(ArchiveError):
    pass


class DamagedArchive(ArchiveError):
    pass


def generate_key() -> str:
    return Fernet.generate_key().decode()


def decode_key(key: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise BadKey(
            "BACKUP_ENCRYPTION_KEY must be 32 bytes in URL-safe base64 "
            "(make one with `manage.py backup --generate-key`)."
        )
    return raw


def fingerprint(raw_key: bytes) -> bytes:
    return hmac.new(raw_key, b"dicas-portal backup key", hashlib.sha256).digest()[:FINGERPRINT_LENGTH]


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _associated(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">QB", index, int(last))


class EncryptingWriter:
    """A write-only file object: what is written goes to `target` encrypted."""

    def __init__(self, target: BinaryIO, key: str):
        raw = decode_key(key)
        self._cipher = AESGCM(raw)
        self._target = target
        self._header = MAGIC + fingerprint(raw) + os.urandom(NONCE_PREFIX_LENGTH)
        self._prefix = self._header[-NONCE_PREFIX_LENGTH:]
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        target.write(self._header)

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:
            self._emit(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def _emit(self, plaintext: bytes, *, last: bool) -> None:
        if self._index >= 2**32:
            raise ArchiveError("archive too large for one key and nonce prefix")
        sealed = self._cipher.encrypt(
            _nonce(self._prefix, self._index), plaintext, _associated(self._header, self._index, last)
        )
        self._target.write(_CHUNK_HEAD.pack(int(last), len(sealed)))
        self._target.write(sealed)
        self._index += 1

    def close(self) -> None:
        """Writes the last chunk (possibly empty): without it, the archive counts as cut short."""
        if not self._closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True

    def __enter__(self) -> "EncryptingWriter":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()


class DecryptingReader:
    """A read-only file object over an encrypted archive; raises WrongKey at once for an
    archive made with another key, DamagedArchive as soon as a chunk fails its tag."""

    def __init__(self, source: BinaryIO, key: str):
        raw = decode_key(key)
        self._cipher = AESGCM(raw)
        self._source = source
        header = source.read(HEADER_LENGTH)
        if len(header) != HEADER_LENGTH or not header.startswith(MAGIC):
            raise DamagedArchive("This is not a DICAS Portal backup archive (or its beginning is damaged).")
        if not hmac.compare_digest(header[len(MAGIC):len(MAGIC) + FINGERPRINT_LENGTH], fingerprint(raw)):
            raise WrongKey("This archive was encrypted with another key than BACKUP_ENCRYPTION_KEY.")
        self._header = header
        self._prefix = header[-NONCE_PREFIX_LENGTH:]
        self._index = 0
        # The chunk being read, and how far: never more than one chunk in memory.
        self._plain = b""
        self._offset = 0
        self._finished = False

    def _next_chunk(self) -> None:
        head = self._source.read(_CHUNK_HEAD.size)
        if len(head) != _CHUNK_HEAD.size:
            raise DamagedArchive("The archive is cut short: its last part is missing.")
        last, length = _CHUNK_HEAD.unpack(head)
        if last not in (0, 1) or length > CHUNK_SIZE + TAG_LENGTH:
            raise DamagedArchive(f"The archive is damaged or was altered (part {self._index + 1}).")
        sealed = self._source.read(length)
        try:
            plaintext = self._cipher.decrypt(
                _nonce(self._prefix, self._index), sealed, _associated(self._header, self._index, bool(last))
            )
        except InvalidTag:
            raise DamagedArchive(f"The archive is damaged or was altered (part {self._index + 1} fails its check).") from None
        self._index += 1
        self._plain, self._offset = plaintext, 0
        if last:
            if self._source.read(1):
                raise DamagedArchive("The archive is damaged or was altered (data after its end).")
            self._finished = True

    def read(self, size: int | None = -1) -> bytes:
        pieces = []
        wanted = -1 if size is None or size < 0 else size
        while wanted != 0:
            if self._offset >= len(self._plain):
                if self._finished:
                    break
                self._next_chunk()
                continue
            end = len(self._plain) if wanted < 0 else self._offset + wanted
            piece = self._plain[self._offset:end]
            self._offset += len(piece)
            if wanted > 0:
                wanted -= len(piece)
            pieces.append(piece)
        return b"".join(pieces)
