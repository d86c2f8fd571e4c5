"""A throwaway PostgreSQL cluster for the tests: one per session, a fresh database per test.

Registered for every test module by ``pytest_plugins = ["tests.postgres"]`` in tests/conftest.py; then a
test asks for ``pg_server`` (the cluster, see PostgresServer) or ``pg_url`` (a libpq URL for a fresh,
empty database, dropped after the test).

The cluster is made with the newest installed server binaries (Debian's
/usr/lib/postgresql/<version>/bin, else pg_ctl on PATH) in a temporary folder, listens on a Unix socket
in that folder only (no TCP), trades durability for speed, and is stopped (``pg_ctl stop -m immediate``)
and removed when the session ends, whether tests failed or not. It is started only if a test asks for it.
initdb and postgres refuse to run as root, so under root they run as the ``postgres`` system user.

Authentication: the superuser, and roles made without a password, log in with no password (trust);
roles made by ``new_role(name, password)`` must give that password (scram-sha-256).

Without the server binaries or psycopg, the tests that use these fixtures skip locally and fail under
CI (CI=true), as the hledger export test does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as pgsql

DEBIAN_ROOT = Path("/usr/lib/postgresql")
PROGRAMS = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"
SYSTEM_USER = "postgres"  # who runs the server when the tests run as root
PASSWORD_GROUP = "fixture_password_login"  # members must give a password
INSTALL_HINT = "PostgreSQL server binaries not installed: apt-get install postgresql"
SETTINGS: dict[str, str | int] = {
    "listen_addresses": "",  # no TCP at all: the socket below is the only way in
    "max_connections": 200,  # tests run 32 processes at once, each may hold a few
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
}


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip the test for a missing tool, or fail it under CI, where every tool must be there."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding the server programs, else pg_ctl's folder on PATH."""

    def complete(folder: Path) -> bool:
        return all(os.access(folder / program, os.X_OK) for program in PROGRAMS)

    versions = []
    if DEBIAN_ROOT.is_dir():
        for folder in DEBIAN_ROOT.iterdir():
            if re.fullmatch(r"\d+(\.\d+)*", folder.name) and complete(folder / "bin"):
                versions.append((tuple(int(part) for part in folder.name.split(".")), folder / "bin"))
    if versions:
        return max(versions)[1]
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and complete(Path(pg_ctl).resolve().parent):
        return Path(pg_ctl).resolve().parent
    return None


def _import_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        unavailable(f"psycopg not importable ({error}): pip install -e '.[test]'")


def _free_port() -> int:
    # Nothing listens on TCP, but the socket file is named after the port: take one nobody uses anyway.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _reachable_by_all(folder: Path) -> bool:
    return all(path.stat().st_mode & stat.S_IXOTH for path in (folder, *folder.parents))


def _conf_value(value: str | int) -> str:
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def _dbname(database: str) -> str:
    """A database name, given either the name or a connection string or URL for it."""
    if "://" not in database and "=" not in database:
        return database
    from psycopg.conninfo import conninfo_to_dict

    name = conninfo_to_dict(database).get("dbname")
    if not name:
        raise ValueError(f"no database named in {database!r}")
    return str(name)


# Runs beside the session: when the session's end of its stdin closes, normally or because the session
# was killed (SIGTERM from a CI timeout, SIGKILL), it stops the server if still running and removes its folder.
_WATCHDOG = """
import json, os, shutil, subprocess, sys
stop, data, base = json.loads(sys.argv[1])
sys.stdin.buffer.read()
if os.path.exists(os.path.join(data, "postmaster.pid")):
    subprocess.run(stop, cwd=base, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shutil.rmtree(base, ignore_errors=True)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")  # exited, not yet reaped by init


class PostgresServer:
    """One running cluster: ``socket_dir``, ``port``, ``superuser``, ``version`` (e.g. 150018), and ways to
    make databases and roles in it and run SQL as the superuser."""

    def __init__(self, bindir: Path, base: Path, port: int, run_as: str | None) -> None:
        self.bindir = bindir
        self.base = base  # everything lives here; it is also the socket directory
        self.socket_dir = base
        self.data_dir = base / "data"
        self.log_file = base / "server.log"
        self.port = port
        self.superuser = SUPERUSER
        self.version = 0
        self._run_as = run_as
        self._owner = os.getpid()  # a forked child must not stop the parent's server
        self._numbers = itertools.count(1)
        self._roles: set[str] = set()
        self._stopped = False
        self._watchdog: subprocess.Popen[bytes] | None = None

    # -- life cycle

    def _argv(self, program: str, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self._run_as, "--"] if self._run_as else []
        return [*prefix, str(self.bindir / program), *args]

    def _stop_argv(self) -> list[str]:
        return self._argv("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30", "stop")

    def _command(self, program: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return self._run(self._argv(program, *args), timeout)

    def _run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
        return subprocess.run(
            argv,
            cwd=self.base,  # a folder the server's user can enter
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-4000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n{log}")

    def start(self) -> None:
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, json.dumps([self._stop_argv(), str(self.data_dir), str(self.base)])],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,  # out of reach of the terminal's Ctrl-C, which the session handles itself
        )
        try:
            if self._run_as:
                entry = pwd.getpwnam(self._run_as)
                os.chown(self.base, entry.pw_uid, entry.pw_gid)
            self.base.chmod(0o711)  # the socket must be reachable; the data folder inside stays private
            self._check(
                self._command(
                    "initdb",
                    *("-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C"),
                    "--no-sync",
                ),
                "initdb",
            )
            # Both files exist and belong to the server's user; writing into them keeps that.
            settings = {**SETTINGS, "unix_socket_directories": str(self.socket_dir), "port": self.port}
            with (self.data_dir / "postgresql.conf").open("a") as conf:
                conf.write("\n# tests/postgres.py\n")
                conf.writelines(f"{name} = {_conf_value(value)}\n" for name, value in settings.items())
            (self.data_dir / "pg_hba.conf").write_text(
                "# tests/postgres.py: Unix socket only; a password only for roles made with one\n"
                f"local all {SUPERUSER} trust\n"
                f"local all +{PASSWORD_GROUP} scram-sha-256\n"
                "local all all trust\n"
            )
            self._check(
                self._command("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "start"),
                "pg_ctl start",
            )
            self.sql("postgres", f"CREATE ROLE {PASSWORD_GROUP} NOLOGIN")
            self.version = int(self.sql("postgres", "SHOW server_version_num")[0][0])
        except BaseException:
            self.stop()
            raise

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None

    def stop(self) -> None:
        """Stop the server at once (no checkpoint: it is thrown away) and remove its folder."""
        if self._stopped or os.getpid() != self._owner:
            return
        self._stopped = True
        try:
            pid = self._postmaster_pid()
            if pid is not None:
                try:
                    stopped = self._run(self._stop_argv(), timeout=60).returncode == 0
                except subprocess.TimeoutExpired:
                    stopped = False
                if not stopped:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)  # its children notice their postmaster is gone and exit
                deadline = time.monotonic() + 10
                while not _gone(pid) and time.monotonic() < deadline:
                    time.sleep(0.02)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
            if self._watchdog is not None and self._watchdog.stdin is not None:
                self._watchdog.stdin.close()  # nothing left for it to do: it exits
                try:
                    self._watchdog.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._watchdog.kill()

    # -- using it

    def url(self, database: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        """A libpq URL for ``database`` as ``user`` (the superuser by default), through the socket."""
        who = quote(user or self.superuser, safe="")
        if password is not None:
            who += ":" + quote(password, safe="")
        return (
            f"postgresql://{who}@/{quote(_dbname(database), safe='')}"
            f"?host={quote(str(self.socket_dir), safe='/')}&port={self.port}"
        )

    def connect(self, database: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
        """A superuser connection, in autocommit, to a database given by name or URL."""
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True)

    def sql(
        self,
        database: str,
        statement: str | pgsql.Composable,
        params: Sequence[Any] | Mapping[str, Any] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run SQL as the superuser in a database given by name or URL; the rows it returns, if any.

        Without params, several statements separated by semicolons run as one script."""
        with self.connect(database) as connection:
            cursor = connection.execute(statement, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description is not None else []

    def new_database(self) -> str:
        """Create an empty database with a name not used before in this session; a superuser URL for it."""
        from psycopg import sql as pgsql

        name = f"db_{next(self._numbers)}"
        # template0, so that nothing a test did to template1 leaks in
        self.sql("postgres", pgsql.SQL("CREATE DATABASE {} TEMPLATE template0").format(pgsql.Identifier(name)))
        return self.url(name)

    def drop_database(self, database: str) -> None:
        """Drop a database given by name or URL, ending any sessions still connected to it."""
        from psycopg import sql as pgsql

        name = pgsql.Identifier(_dbname(database))
        self.sql("postgres", pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))

    def new_role(self, name: str, password: str | None = None, *, database: str = "postgres") -> str:
        """Create a login role with no privileges beyond what PUBLIC has; its URL for ``database`` (name or URL).

        With a password the role must give it to log in; without one it logs in with none. Roles belong
        to the whole cluster: asking again for a name made earlier in the session drops that role and
        makes it afresh (which fails if it still owns something or holds privileges in a database that
        has not been dropped: pick another name then)."""
        from psycopg import sql as pgsql

        if name in (self.superuser, PASSWORD_GROUP):
            raise ValueError(f"{name!r} is the fixture's own role")
        role = pgsql.Identifier(name)
        if self.sql("postgres", "SELECT 1 FROM pg_roles WHERE rolname = %s", [name]):
            if name not in self._roles:
                raise ValueError(f"role {name!r} exists and was not made by new_role")
            self.sql("postgres", pgsql.SQL("DROP ROLE {}").format(role))
        self.sql(
            "postgres",
            pgsql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                role, pgsql.Literal(password)
            ),
        )
        self._roles.add(name)
        if password is not None:
            self.sql("postgres", pgsql.SQL("GRANT {} TO {}").format(pgsql.Identifier(PASSWORD_GROUP), role))
        return self.url(database, user=name, password=password)


def start_server() -> PostgresServer:
    """Start a cluster, or skip (fail under CI) when the binaries, psycopg or a user to run them is missing."""
    _import_psycopg()
    bindir = find_bindir()
    if bindir is None:
        unavailable(INSTALL_HINT)
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            unavailable(f"running as root and there is no {SYSTEM_USER!r} system user to run PostgreSQL as")
        if shutil.which("runuser") is None:
            unavailable("running as root and runuser (util-linux) is missing to run PostgreSQL as another user")
        run_as = SYSTEM_USER
    parent = Path(tempfile.gettempdir())
    # The server's user must reach the folder, and a socket path must fit in 107 bytes.
    if (run_as and not _reachable_by_all(parent)) or len(str(parent)) > 60:
        parent = Path("/tmp")
    server = PostgresServer(bindir, Path(tempfile.mkdtemp(prefix="piecepay-pg-", dir=parent)), _free_port(), run_as)
    server.start()
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL cluster, started on first use and stopped and removed at the end."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A superuser URL for a fresh, empty database, dropped after the test."""
    url = pg_server.new_database()
    yield url
    pg_server.drop_database(url)
