"""The audit chain's head anchored outside the database: after each commit that appends audit events, the new
head's id and hash is appended as a line to ``settings.DUBAN_AUDIT_ANCHOR_FILE``. Whoever can rewrite the database
cannot rewrite this file too (keep it on another disk or ship it off the machine), so ``duban audit verify`` finds
a chain that was cut short, deleted whole or recomputed."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger("duban.audit")


def anchor_on_commit(event_id: int, chain_hash: str, *, restored: bool = False) -> None:
    """Once the transaction commits, append the new head to the anchor file outside the database. A restore
    starts a new chain of record: its line is marked, and verify compares only the lines after it."""
    transaction.on_commit(lambda: anchor_append(event_id, chain_hash, restored=restored))


def anchor_append(event_id: int, chain_hash: str, *, restored: bool = False) -> None:
    line = f"{timezone.now().isoformat()} {event_id} {chain_hash}{' restored' if restored else ''}\n"
    path = Path(settings.DUBAN_AUDIT_ANCHOR_FILE)
    try:
        # one write() of a short line in append mode: lines of concurrent processes do not interleave
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError as exc:  # the change is committed; a missing anchor line is reported, never a failed request
        logger.error("audit anchor not written to %s: %s", path, exc)


def anchors() -> list[tuple[int, str]]:
    """(event id, chain hash) of every anchor line since the last restore."""
    path = Path(settings.DUBAN_AUDIT_ANCHOR_FILE)
    if not path.exists():
        return []
    found: list[tuple[int, str]] = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) < 3 or not parts[1].isdigit():
            continue
        if parts[3:] == ["restored"]:
            found = []
        found.append((int(parts[1]), parts[2]))
    return found
