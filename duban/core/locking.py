"""Optimistic locking, the one implementation: an edit changes a row only if nobody changed it since the editor
read ``version`` (one conditional UPDATE, which behaves alike on SQLite and PostgreSQL; ``select_for_update`` does
nothing on SQLite), and a lost race is a ``Conflict`` with a message, never a silent overwrite."""

from __future__ import annotations

from django.db.models import F

from duban.core.errors import Conflict

RECORD_CHANGED = ("该记录已被他人修改，请刷新后重试", "the record was changed by someone else; reload and try again")


def update_versioned_in_txn(obj, *, version: int, conflict: tuple[str, str] = RECORD_CHANGED, **fields) -> None:
    """Write ``fields`` to ``obj``'s row and advance its version if the row is still at ``version``; otherwise
    raise ``Conflict(*conflict)``. ``obj`` is updated in memory to match. Joins the caller's transaction."""
    updated = type(obj)._default_manager.filter(pk=obj.pk, version=version).update(version=F("version") + 1,
                                                                                 **fields)
    if updated == 0:
        raise Conflict(*conflict)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.version = version + 1
