"""Checkpoints of the audit trail's head, kept outside the database.

The HMAC chain shows an entry edited or removed from the middle, but not entries cut off its
end: the shorter chain is still a valid chain. A checkpoint records the head (how many entries,
the newest one's HMAC), signed with a key that is not the chain's, and is appended as one JSON
line to a file outside the audit table (`TRACKER_AUDIT_CHECKPOINT_FILE`). `tracker audit
verify` compares the trail with the newest checkpoint.
"""

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from tracker.services.audit import newest_entry
from tracker.settings import Settings
from tracker.store.models import AuditEvent
from tracker.store.types import utcnow


@dataclass(frozen=True)
class Checkpoint:
    """The trail's head as seen at `at`: `count` entries, the newest with HMAC `hmac`."""

    at: str
    count: int
    hmac: str

    def signature(self, key: bytes) -> str:
        """The checkpoint's own HMAC-SHA256 under the checkpoint key."""
        payload = json.dumps(
            {"at": self.at, "count": self.count, "hmac": self.hmac},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def take(session: Session) -> Checkpoint:
    """The trail's head now."""
    count, head = newest_entry(session)
    at: datetime = utcnow()
    return Checkpoint(at=at.isoformat(timespec="seconds"), count=count, hmac=head)


def append(checkpoint: Checkpoint, settings: Settings) -> Path:
    """Append the signed checkpoint to the checkpoint file (made if missing); its path."""
    path = settings.checkpoint_path
    line = {
        "at": checkpoint.at,
        "count": checkpoint.count,
        "hmac": checkpoint.hmac,
        "sig": checkpoint.signature(settings.checkpoint_key),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return path


def write(session: Session, settings: Settings) -> Checkpoint:
    """Take a checkpoint of the trail's head and append it to the file."""
    checkpoint = take(session)
    append(checkpoint, settings)
    return checkpoint


class CheckpointFileError(Exception):
    """The checkpoint file's newest line cannot be trusted."""


def latest(settings: Settings) -> Checkpoint | None:
    """The newest checkpoint in the file, None when there is none; refuses a forged one."""
    path = settings.checkpoint_path
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return None
    try:
        raw = json.loads(lines[-1])
        checkpoint = Checkpoint(at=str(raw["at"]), count=int(raw["count"]), hmac=str(raw["hmac"]))
        signature = str(raw["sig"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointFileError(f"the last line of {path} is not a checkpoint") from exc
    if not hmac.compare_digest(signature, checkpoint.signature(settings.checkpoint_key)):
        raise CheckpointFileError(f"the last line of {path} is not signed with the checkpoint key")
    return checkpoint


def compare(session: Session, checkpoint: Checkpoint) -> list[str]:
    """What the trail lacks against the checkpoint; empty when it still holds that head."""
    count, _ = newest_entry(session)
    seen = (
        f"the checkpoint of {checkpoint.at} saw {checkpoint.count} entries ending in "
        f"{checkpoint.hmac[:12]}"
    )
    if checkpoint.count == 0:
        return []
    if count < checkpoint.count:
        return [
            f"{seen}; the trail holds {count}: entries {count + 1} to {checkpoint.count} "
            "are missing"
        ]
    entry = session.get(AuditEvent, checkpoint.count)
    if entry is None:
        return [f"{seen}; entry {checkpoint.count} is missing"]
    if not hmac.compare_digest(entry.hmac, checkpoint.hmac):
        return [
            f"{seen}; entry {checkpoint.count} now ends in {entry.hmac[:12]}: "
            f"entries up to {checkpoint.count} were replaced"
        ]
    return []
