"""The throwaway PostgreSQL cluster the store's tests run against (tests/postgres.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests import postgres
from tests.postgres import PostgresServer

_seen: set[str] = set()


def _tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return [row[0] for row in rows]


def test_a_fresh_database_is_empty_utf8_and_ours(pg_url: str, pg_server: PostgresServer) -> None:
    import psycopg

    assert _tables(pg_url) == []
    with psycopg.connect(pg_url) as connection:
        row = connection.execute(
            "SELECT current_user, pg_encoding_to_char(encoding), datcollate, current_setting('is_superuser')"
            " FROM pg_database WHERE datname = current_database()"
        ).fetchone()
    assert row == (pg_server.superuser, "UTF8", "C", "on")
    assert pg_server.version >= 150000


@pytest.mark.parametrize("run", [1, 2])
def test_every_pg_url_is_a_database_of_its_own(pg_url: str, pg_server: PostgresServer, run: int) -> None:
    # the same table made in each run: a shared database would refuse the second
    pg_server.sql(pg_url, "CREATE TABLE marker (run integer)")
    pg_server.sql(pg_url, "INSERT INTO marker VALUES (%s)", [run])
    assert pg_url not in _seen
    _seen.add(pg_url)
    other = pg_server.new_database()
    assert other != pg_url
    assert _tables(other) == []
    assert pg_server.sql(pg_url, "SELECT run FROM marker") == [(run,)]


def test_a_dropped_database_is_gone_even_with_a_session_open(pg_server: PostgresServer) -> None:
    import psycopg

    url = pg_server.new_database()
    with psycopg.connect(url) as connection:
        pg_server.drop_database(url)
        with pytest.raises(psycopg.OperationalError):
            connection.execute("SELECT 1")
    assert pg_server.sql("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [postgres._dbname(url)]) == []


def test_a_role_cannot_create_tables_in_a_database_it_does_not_own_until_granted(
    pg_url: str, pg_server: PostgresServer
) -> None:
    import psycopg

    app = pg_server.new_role("app", database=pg_url)
    with psycopg.connect(app, autocommit=True) as connection:
        assert connection.execute("SELECT current_user, current_setting('is_superuser')").fetchone() == ("app", "off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("CREATE TABLE public.t (x integer)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("CREATE SCHEMA mine")
        pg_server.sql(pg_url, "GRANT CREATE ON SCHEMA public TO app")
        connection.execute("CREATE TABLE public.t (x integer)")
    assert _tables(pg_url) == ["public.t"]


def test_a_role_made_with_a_password_must_give_it(pg_url: str, pg_server: PostgresServer) -> None:
    import psycopg

    password = "p@ss:w/rd ?&="  # every character a URL would trip on
    app = pg_server.new_role("app_pw", password, database=pg_url)
    with psycopg.connect(app) as connection:
        assert connection.execute("SELECT current_user").fetchone() == ("app_pw",)
    for wrong in ("wrong", None):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(pg_server.url(pg_url, user="app_pw", password=wrong)).close()
    # made again, now without a password: it logs in with none
    again = pg_server.new_role("app_pw", database=pg_url)
    with psycopg.connect(again) as connection:
        assert connection.execute("SELECT current_user").fetchone() == ("app_pw",)


def test_the_server_listens_on_its_own_socket_only(pg_server: PostgresServer) -> None:
    assert (pg_server.socket_dir / f".s.PGSQL.{pg_server.port}").is_socket()
    assert pg_server.sql("postgres", "SHOW listen_addresses") == [("",)]
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(5)
            try:
                probe.connect((address, pg_server.port))
            except OSError:
                continue  # refused, or no such address family here: nothing listens
            pytest.fail(f"something accepts TCP connections on {address} port {pg_server.port}")


def test_forty_sessions_at_once(pg_url: str, pg_server: PostgresServer) -> None:
    import psycopg

    assert int(pg_server.sql(pg_url, "SHOW max_connections")[0][0]) >= 100
    connections = [psycopg.connect(pg_url) for _ in range(40)]
    try:
        assert len({c.execute("SELECT pg_backend_pid()").fetchone() for c in connections}) == 40
    finally:
        for connection in connections:
            connection.close()


def test_the_cluster_lives_in_a_temporary_folder_of_its_own(pg_server: PostgresServer) -> None:
    assert pg_server.data_dir.parent == pg_server.socket_dir
    assert pg_server.socket_dir.name.startswith("piecepay-pg-")
    assert Path(pg_server.sql("postgres", "SHOW data_directory")[0][0]) == pg_server.data_dir
    assert pg_server.sql("postgres", "SHOW fsync") == [("off",)]


def test_a_missing_server_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):
        postgres.unavailable(postgres.INSTALL_HINT)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install postgresql"):
        postgres.unavailable(postgres.INSTALL_HINT)
    monkeypatch.setattr(postgres, "DEBIAN_ROOT", Path("/nonexistent"))
    monkeypatch.setenv("PATH", "/nonexistent")
    assert postgres.find_bindir() is None
