"""How duban connects to its database (duban/settings.py): what a deployment gets without setting anything."""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.django_db  # lets the probe connect (a database of its own, not the suite's)
def test_sqlite_syncs_every_commit_unless_told_otherwise(monkeypatch, tmp_path):
    """An acknowledged write must survive an operating-system crash: WAL with synchronous=FULL (2), not NORMAL."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db.backends.sqlite3.base import DatabaseWrapper

    monkeypatch.delenv("DUBAN_SQLITE_SYNCHRONOUS", raising=False)
    config = duban_settings._database_from_url(f"sqlite:///{tmp_path / 'sync.sqlite3'}")
    probe = DatabaseWrapper({**connection.settings_dict, "NAME": config["NAME"], "OPTIONS": config["OPTIONS"]},
                            alias="sync-probe")
    try:
        with probe.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        probe.close()
    monkeypatch.setenv("DUBAN_SQLITE_SYNCHRONOUS", "normal")
    assert "PRAGMA synchronous=NORMAL;" in duban_settings._database_from_url(
        "sqlite:////tmp/x.sqlite3")["OPTIONS"]["init_command"]
    monkeypatch.setenv("DUBAN_SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(ImproperlyConfigured):
        duban_settings._database_from_url("sqlite:////tmp/x.sqlite3")


@pytest.mark.django_db
def test_the_test_database_on_sqlite_is_a_file_each_live_server_thread_opens():
    """A live server's threads share an in-memory database's one connection, and a shared sqlite3 connection can
    deadlock (a browser walk hung on it): the test database must be a file."""
    if connection.vendor != "sqlite":
        return
    name = connection.settings_dict["NAME"]
    assert "memory" not in str(name) and Path(name).is_file(), name
    with connection.cursor() as cursor:  # a throwaway file: not synced at each commit
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 0


def test_postgresql_statements_are_prepared_unless_told_otherwise(monkeypatch):
    """By default a statement run again on a PostgreSQL connection is prepared (server-side binding, psycopg's
    threshold 1); ``off`` keeps Django's default of values inside the statement text (PgBouncer before 1.21);
    anything else is refused at start-up."""
    from django.core.exceptions import ImproperlyConfigured

    url = "postgres://duban@127.0.0.1:5432/duban"
    monkeypatch.delenv("DUBAN_DB_PREPARE_THRESHOLD", raising=False)
    options = duban_settings._database_from_url(url)["OPTIONS"]
    assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 1)
    monkeypatch.setenv("DUBAN_DB_PREPARE_THRESHOLD", "0")
    assert duban_settings._database_from_url(url)["OPTIONS"]["prepare_threshold"] == 0
    monkeypatch.setenv("DUBAN_DB_PREPARE_THRESHOLD", " OFF ")
    options = duban_settings._database_from_url(url)["OPTIONS"]
    assert "server_side_binding" not in options and "prepare_threshold" not in options
    for wrong in ("-1", "yes", "1.5"):
        monkeypatch.setenv("DUBAN_DB_PREPARE_THRESHOLD", wrong)
        with pytest.raises(ImproperlyConfigured):
            duban_settings._database_from_url(url)
    assert "prepare_threshold" not in duban_settings._database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_statement_run_again_on_a_postgresql_connection_is_prepared_there():
    """What the server holds: after the same read with two different values, PostgreSQL lists it among the
    connection's prepared statements, its values as parameters ($1), not in the text."""
    from duban.core.models import Unit

    if connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        pytest.fail("the suite's PostgreSQL connection is not set to prepare statements (DUBAN_DB_PREPARE_THRESHOLD)")
    for pk in (987654321, 987654322):
        list(Unit.objects.filter(pk=pk).values_list("name", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ['%"core_unit"%'])
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("$1" in s and "987654321" not in s for s in prepared), prepared


def test_postgresql_connections_turn_jit_off_unless_told_and_keep_the_urls_options(monkeypatch):
    """JIT compiling costs 80-135 ms for a statement that runs in under one (bench/RESULTS.md): off by default,
    as a connection option beside any the URL gives; DUBAN_DB_JIT=on leaves the server's setting."""
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("DUBAN_DB_JIT", raising=False)
    plain = duban_settings._database_from_url("postgres://duban@127.0.0.1:5432/duban")
    assert plain["OPTIONS"]["options"] == "-c jit=off"
    given = duban_settings._database_from_url(
        "postgres://duban@127.0.0.1:5432/duban?options=-c%20default_transaction_read_only%3Don")
    assert given["OPTIONS"]["options"] == "-c default_transaction_read_only=on -c jit=off"
    assert "options" not in duban_settings._database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]
    monkeypatch.setenv("DUBAN_DB_JIT", "on")
    assert "options" not in duban_settings._database_from_url("postgres://duban@127.0.0.1:5432/duban")["OPTIONS"]
    monkeypatch.setenv("DUBAN_DB_JIT", "maybe")
    with pytest.raises(ImproperlyConfigured):
        duban_settings._database_from_url("postgres://duban@127.0.0.1:5432/duban")


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_servers_jit_is_off_on_duban_connections():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
