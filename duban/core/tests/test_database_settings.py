"""How duban connects to its database (duban/settings.py): what a deployment gets without setting anything."""

from __future__ import annotations

import pytest
from django.db import connection

from duban import settings as duban_settings


def test_sqlite_keeps_connections_and_postgresql_does_not_by_default(monkeypatch):
    monkeypatch.delenv("DUBAN_DB_CONN_MAX_AGE", raising=False)
    monkeypatch.delenv("DUBAN_SQLITE_CACHE_MB", raising=False)
    sqlite = duban_settings._database_from_url("sqlite:////tmp/duban-settings-test.sqlite3")
    assert sqlite["CONN_MAX_AGE"] == 600  # a kept SQLite connection keeps its page cache between requests
    assert "PRAGMA cache_size=-16384;" in sqlite["OPTIONS"]["init_command"]
    postgres = duban_settings._database_from_url("postgres://duban@127.0.0.1:5432/duban")
    assert postgres["CONN_MAX_AGE"] == 0  # a server process each: kept only when the deployment says so
    monkeypatch.setenv("DUBAN_DB_CONN_MAX_AGE", "60")
    monkeypatch.setenv("DUBAN_SQLITE_CACHE_MB", "8")
    assert duban_settings._database_from_url("postgres://duban@127.0.0.1:5432/duban")["CONN_MAX_AGE"] == 60
    assert "PRAGMA cache_size=-8192;" in duban_settings._database_from_url(
        "sqlite:////tmp/duban-settings-test.sqlite3")["OPTIONS"]["init_command"]


@pytest.mark.django_db
def test_a_sqlite_connection_gets_its_page_cache():
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        configured = connection.settings_dict["OPTIONS"]["init_command"]
        assert f"PRAGMA cache_size={cursor.fetchone()[0]};" in configured
