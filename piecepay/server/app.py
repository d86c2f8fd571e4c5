"""The served ledger's application: each request's ledger session and party, the one place
an error becomes an HTTP status and a JSON error, security headers, and one log line per
request."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from piecepay.dates import pinned_today
from piecepay.errors import PiecepayError, known
from piecepay.locations import Location
from piecepay.parties import Party
from piecepay.records import Record
from piecepay.session import Session, open_session, session_on
from piecepay.store import Store
from piecepay.text import json_text

log = logging.getLogger("piecepay.server")

SERVER_ACTOR = "piecepay-server"  # who opens the ledger before a request's token is known
MAX_JSON = 64 * 1024  # a request's JSON body, in bytes
Value = TypeVar("Value")


class Config(Record):
    """What ``piecepay serve`` was started with."""

    where: Location
    proofs: Path
    upload_limit: int = 10 * 1024 * 1024


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON document, with what a terminal would act on escaped (as the command line's)."""
    return Response(json_text(data), status_code=status, headers=headers, media_type="application/json")


def error_response(error: PiecepayError) -> Response:
    """The one place an error becomes an HTTP status and ``{"error": {"code", "message"}}``."""
    headers = {"WWW-Authenticate": 'Bearer realm="piecepay"'} if error.http_status == 401 else None
    return json_response({"error": {"code": error.code, "message": error.message}}, error.http_status, headers)


def bearer(request: Request) -> str | None:
    """The token an API request carries: ``Authorization: Bearer TOKEN``."""
    given = request.headers.get("authorization")
    if given is None:
        return None
    scheme, _, secret = given.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


SESSION_COOKIE = "piecepay_session"


def credential(request: Request) -> str | None:
    """What a page or a file it shows is asked with: a bearer token, else the browser's session
    cookie. (The API's POSTs take only a bearer token: a cookie is sent by a browser on its own.)"""
    return bearer(request) or request.cookies.get(SESSION_COOKIE) or None


POOL_SIZE = 8  # ledger connections a server process keeps open and uses at once


class Served:
    """The ledger behind the server: each request takes an open connection from a small pool,
    finds its party, works in a session of its own, and gives the connection back.

    Writes run one at a time in a process, in the order they came: the ledger takes one writer
    at a time anyway, and a writer waiting here waits its turn instead of polling the
    database's lock against the others (which left some waiting seconds)."""

    def __init__(self, config: Config, pool_size: int = POOL_SIZE) -> None:
        import queue
        import threading

        self.config = config
        self.idle: queue.LifoQueue[Store] = queue.LifoQueue()
        self.slots = threading.BoundedSemaphore(pool_size)
        self.writing = threading.Lock()

    def open(self, *, write: bool) -> Session:
        """A session over a connection of its own (closed with the session)."""
        return open_session(self.config.where, SERVER_ACTOR, datetime.now(UTC), pinned_today(), write=write)

    async def run(
        self,
        request: Request,
        secret: str | None,
        work: Callable[[Session, Party], Value],
        *,
        write: bool,
    ) -> Value:
        """``work`` with the ledger open for the party whose token ``secret`` is, in a worker
        thread (the operations are synchronous); what it writes is recorded under the token's name."""
        return await run_in_threadpool(self._run, request, secret, work, write)

    def _run(self, request: Request, secret: str | None, work: Callable[[Session, Party], Value], write: bool) -> Value:
        # a writer waits its turn before it takes a connection, so readers never wait on writers here
        with self.writing if write else contextlib.nullcontext(), self.slots, self._store() as store:
            return self._work(store, request, secret, work)

    def _work(
        self, store: Store, request: Request, secret: str | None, work: Callable[[Session, Party], Value]
    ) -> Value:
        from piecepay.operations.tokens import authenticate

        session = session_on(store, SERVER_ACTOR, datetime.now(UTC), pinned_today())
        token = authenticate(session, secret)
        session.actor = token.name
        request.state.actor, request.state.token_id = token.name, token.id
        result = work(session, Party(token))
        request.state.replayed = session.replayed
        return result

    @contextlib.contextmanager
    def _store(self) -> Iterator[Store]:
        """An open connection to the ledger, from the pool or new; back to the pool after a
        request that ended well or was refused, closed after one that met a storage problem
        or an error no one foresaw (the next request opens a fresh one)."""
        import queue

        from piecepay.errors import StorageError

        try:
            store = self.idle.get_nowait()
        except queue.Empty:
            store = self.open(write=True).store
        try:
            yield store
        except PiecepayError as error:
            self._give_back(store, keep=not isinstance(error, StorageError))
            raise
        except BaseException:
            self._give_back(store, keep=False)
            raise
        else:
            self._give_back(store, keep=True)

    def _give_back(self, store: Store, *, keep: bool) -> None:
        if keep and not store.in_transaction():
            self.idle.put(store)
        else:
            store.close()

    def close(self) -> None:
        """Close every idle connection (when the server stops)."""
        import queue

        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                return


# A page may load only what the server itself serves: no inline script, no other origin, no
# framing; forms post only back here.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class Guarded:
    """ASGI middleware: every response carries the security headers; every request is one log
    line (client, method, path without its query, status, milliseconds, actor); an error no
    handler foresaw is logged with its traceback and answered as a JSON 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = False

        async def send_guarded(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status, sent = message["status"], True
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in names]
            await send(message)

        try:
            await self.app(scope, receive, send_guarded)
        except Exception:
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            if not sent:
                response = json_response(
                    {"error": {"code": "internal_error", "message": "internal error; see the server's log"}}, 500
                )
                await response(scope, receive, send_guarded)
        finally:
            actor = scope.get("state", {}).get("actor", "-")
            client = scope.get("client") or ("-", 0)
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %d %.1fms %s", client[0], scope["method"], scope["path"], status, elapsed, actor)


async def _known_error(request: Request, exc: Exception) -> Response:
    error = known(exc)
    assert error is not None  # registered only for the errors ``known`` knows
    return error_response(error)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, wrong method) as JSON errors too."""
    from starlette.exceptions import HTTPException

    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    return json_response({"error": {"code": code, "message": str(exc.detail).lower()}}, exc.status_code, exc.headers)


def create_app(config: Config) -> Starlette:
    """The application ``piecepay serve`` runs: the JSON API under /api, the web pages at /."""
    import sqlite3

    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware

    from piecepay.server import api, web

    served = Served(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        served.close()  # the requests are done: the pool's connections close

    app = Starlette(
        lifespan=lifespan,
        routes=api.routes(served) + web.routes(served),
        middleware=[Middleware(Guarded)],
        exception_handlers={PiecepayError: _known_error, sqlite3.Error: _known_error, HTTPException: _http_error},
    )
    app.state.served = served
    return app
