"""duban's settings for serving a seeded database that must stay as it is (``redmine_bench.py --duban-database-url``).

Every connection to duban's database opens its transactions read-only (``default_transaction_read_only``), so a
page that wrote would fail the run instead of changing the database. Sign-in sessions, the one thing a page view
writes, live in Redmine's database on the same server (``DUBAN_PEER_REDMINE_URL``, its schema public): the same
table, the same query
per request, only elsewhere.
"""

import os

from duban.settings import *  # noqa: F403
from duban.settings import DATABASES, _database_from_url

DATABASES["sessions"] = _database_from_url(os.environ["DUBAN_PEER_REDMINE_URL"])
DATABASE_ROUTERS = ["bench.peer.readonly_settings.SessionsElsewhere"]


class SessionsElsewhere:
    """Django's session rows to the ``sessions`` database, everything else to duban's."""

    @staticmethod
    def _db(model):
        return "sessions" if model._meta.app_label == "sessions" else "default"

    def db_for_read(self, model, **hints):
        return self._db(model)

    def db_for_write(self, model, **hints):
        return self._db(model)

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, **hints):
        return (app_label == "sessions") == (db == "sessions")
