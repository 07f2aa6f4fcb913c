"""The encrypted container on its own: many chunks round-trip whatever the read sizes, and
every way of spoiling an archive is refused with its reason."""

import io
import os
import struct

import pytest

from operations import archive
from operations.archive import (CHUNK_SIZE, HEADER_LENGTH, BadKey, DamagedArchive, DecryptingReader,
                                EncryptingWriter, WrongKey, generate_key)

KEY = generate_key()
DATA = os.urandom(3 * CHUNK_SIZE + 12345)


def encrypted(data: bytes = DATA, key: str = KEY) -> bytes:
    output = io.BytesIO()
    with EncryptingWriter(output, key) as writer:
        for start in range(0, len(data), 7777):
            writer.write(data[start:start + 7777])
    return output.getvalue()


def chunks(sealed: bytes) -> tuple[bytes, list[bytes]]:
    header, rest, parts = sealed[:HEADER_LENGTH], sealed[HEADER_LENGTH:], []
    while rest:
        _last, length = struct.unpack(">BI", rest[:5])
        parts.append(rest[:5 + length])
        rest = rest[5 + length:]
    return header, parts


def read_all(sealed: bytes, key: str = KEY, size: int = 10240) -> bytes:
    reader = DecryptingReader(io.BytesIO(sealed), key)
    pieces = []
    while piece := reader.read(size):
        pieces.append(piece)
    return b"".join(pieces)


@pytest.mark.parametrize("size", [1, 10240, CHUNK_SIZE + 1, -1])
def test_many_chunks_come_back_whole_whatever_the_read_size(size):
    sealed = encrypted()
    assert len(chunks(sealed)[1]) == 4
    if size == 1:
        reader = DecryptingReader(io.BytesIO(sealed), KEY)
        assert reader.read(1) == DATA[:1] and reader.read(5) == DATA[1:6]
        return
    assert read_all(sealed, size=size) == DATA
    assert DATA[:4096] not in sealed


def test_an_empty_archive_round_trips():
    assert read_all(encrypted(b"")) == b""


def test_a_wrong_key_is_named_before_anything_is_decrypted():
    with pytest.raises(WrongKey, match="another key"):
        DecryptingReader(io.BytesIO(encrypted()), generate_key())


def test_a_key_that_is_not_a_key_is_refused():
    with pytest.raises(BadKey, match="32 bytes"):
        EncryptingWriter(io.BytesIO(), "swordfish")


@pytest.mark.parametrize("spoil", ["flip", "swap", "drop_last", "drop_middle", "append", "not_ours"])
def test_every_way_of_spoiling_an_archive_is_refused(spoil):
    header, parts = chunks(encrypted())
    if spoil == "flip":
        middle = bytearray(parts[1])
        middle[100] ^= 0x80
        parts[1] = bytes(middle)
    elif spoil == "swap":
        parts[0], parts[1] = parts[1], parts[0]
    elif spoil == "drop_last":
        parts = parts[:-1]
    elif spoil == "drop_middle":
        del parts[1]
    elif spoil == "append":
        parts.append(b"more")
    elif spoil == "not_ours":
        header = b"PK\x03\x04" + header[4:]
    with pytest.raises(DamagedArchive):
        read_all(header + b"".join(parts))


def test_the_nonce_prefix_is_fresh_for_every_archive():
    assert encrypted(b"same")[:HEADER_LENGTH] != encrypted(b"same")[:HEADER_LENGTH]
    assert archive.fingerprint(archive.decode_key(KEY)) in encrypted(b"same")[:HEADER_LENGTH]
