"""How much memory and time the encrypted backup container takes for a large paper.

    .venv/bin/python bench/backup_archive.py --megabytes 512

Writes a file of random bytes, streams it through tar and the AES-GCM container into an
archive (as `manage.py backup` does with a paper), then reads it back through the container
and tar into another file (as `manage.py restore` does), and prints the throughput of each
and the peak resident memory of the process, which stays near the chunk size whatever the
size of the file.
"""

import argparse
import hashlib
import os
import resource
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from operations.archive import DecryptingReader, EncryptingWriter, generate_key  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=512)
    arguments = parser.parse_args()
    key = generate_key()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        paper = folder / "paper.pdf"
        with open(paper, "wb") as output:
            for _ in range(arguments.megabytes):
                output.write(os.urandom(1024 * 1024))
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with open(folder / "backup.dicasbak", "wb") as output, EncryptingWriter(output, key) as writer:
            with tarfile.open(fileobj=writer, mode="w|") as archive:
                archive.add(paper, arcname="media/paper.pdf")
        written = time.perf_counter() - started
        started = time.perf_counter()
        digest = hashlib.sha256()
        with open(folder / "backup.dicasbak", "rb") as source:
            with tarfile.open(fileobj=DecryptingReader(source, key), mode="r|") as archive:
                for member in archive:
                    extracted = archive.extractfile(member)
                    with open(folder / "restored.pdf", "wb") as output:
                        while chunk := extracted.read(1024 * 1024):
                            digest.update(chunk)
                            output.write(chunk)
        read = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        same = digest.hexdigest() == hashlib.sha256(paper.read_bytes()).hexdigest()
    size = arguments.megabytes
    print(f"{size} MB paper: written {size / written:.0f} MB/s, read back {size / read:.0f} MB/s, "
          f"identical: {same}; peak memory {peak / 1024:.0f} MB (before the archive: {baseline / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
