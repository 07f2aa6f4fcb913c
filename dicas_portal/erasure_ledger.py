"""The ledger of people whose personal data was erased, kept outside every backup.

A backup taken before an erasure still holds the person's data; a restore of it would bring
them back. So each erasure also appends a line here, in a file beside the backups (not in
the database, which the backup copies and the restore replaces), and `manage.py restore`
erases again everyone the ledger names (operations/backup.py).

The line is written and flushed to disk inside the erasure's transaction, before it commits:
should the commit then fail, a restore erases someone who was about to be erased anyway,
which is the safe side of the two possible errors.
"""

import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def ledger_path() -> Path:
    return Path(settings.PERSONAL_DATA_ERASURE_LEDGER)


def record_erasure(*, user_id: int) -> None:
    path = ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"user_id": user_id, "erased_at": timezone.now().isoformat()}) + "\n"
    with open(path, "a", encoding="utf-8") as ledger:
        ledger.write(line)
        ledger.flush()
        os.fsync(ledger.fileno())


def erased_user_ids() -> list[int]:
    """Every person the ledger names, in the order they were erased, each once."""
    path = ledger_path()
    if not path.exists():
        return []
    seen: dict[int, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            seen[int(json.loads(line)["user_id"])] = None
        except (ValueError, KeyError, TypeError):
            # A line cut short by a crash mid-write: the others still count.
            continue
    return list(seen)
