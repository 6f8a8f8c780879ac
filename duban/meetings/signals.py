"""How the apps above take part in importing a meeting without this app importing them: each connects its
receiver in its ``AppConfig.ready``. Sent inside the importing action's transaction, so what a receiver writes
commits or rolls back with the import.

- ``meeting_imported`` (``meeting``): once a meeting and its draft tasks are written by ``meeting_import_in_txn``;
  the sources app collects the communique's phrases (``phrases_collect_in_txn``, an index, no event)."""

from django.dispatch import Signal

meeting_imported = Signal()
