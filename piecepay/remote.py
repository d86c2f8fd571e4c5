"""The command line's client of a served ledger (PIECEPAY_URL, PIECEPAY_TOKEN): a request to
its JSON API answers with the document the same command prints on a ledger, and a refusal
with the same error, so the same exit code. The standard library only (http.client), and
imported only when PIECEPAY_URL is set.

The token goes in the Authorization header and nowhere else: no message names it, and the
address may carry no user name or password. Redirects are not followed (a redirect could
carry the token to another host); nor is any proxy setting.
"""

from __future__ import annotations

import http.client
import json
import os
import re
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from piecepay import inputs
from piecepay.errors import BadInput, StorageError, from_http

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 86400.0
TOKEN = re.compile(r"[\x21-\x7e]{1,512}")  # visible ASCII, as 'token create' prints it
CODE = re.compile(r"[a-z0-9_]{1,64}")  # an error code as piecepay writes them
MAX_MESSAGE = 2000  # characters of a server's error message shown
MAX_REPLY = 512 * 1024 * 1024  # bytes of a reply read before giving up on it


def timeout_seconds() -> float:
    """How long to wait for the server (env PIECEPAY_TIMEOUT, seconds; default 30)."""
    raw = os.environ.get("PIECEPAY_TIMEOUT")
    if raw is None or raw == "":
        return DEFAULT_TIMEOUT
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,6})?", raw, re.ASCII) or not 0 < float(raw) <= MAX_TIMEOUT:
        raise BadInput(
            f"PIECEPAY_TIMEOUT '{raw}' must be a number of seconds above 0 and at most {MAX_TIMEOUT:.0f}",
            "bad_timeout",
        )
    return float(raw)


def checked_token(token: str) -> str:
    """The token as given, if it can be one; the message never shows it."""
    if not TOKEN.fullmatch(token):
        raise BadInput(
            "PIECEPAY_TOKEN is not a token: one word of visible ASCII characters, as 'piecepay token create' "
            "prints it, is expected",
            "bad_token",
        )
    return token


class Remote:
    """A served ledger at ``url`` (http or https, with an optional path prefix), asked with
    ``token``."""

    def __init__(self, url: str, token: str, timeout: float | None = None) -> None:
        self.url = inputs.server_url(url, "PIECEPAY_URL")
        self.token = checked_token(token)
        self.timeout = timeout_seconds() if timeout is None else timeout
        parts = urlsplit(self.url)
        assert parts.hostname is not None  # server_url holds a host
        self.secure = parts.scheme.lower() == "https"
        self.host, self.port = parts.hostname, parts.port
        self.prefix = quote(parts.path.rstrip("/"), safe="/%:@!$&'()*+,;=-._~")

    def get(self, path: str, params: dict[str, str | None] | None = None, *, many: bool = False) -> Any:
        """The document ``GET path?params`` answers with (parameters that are None left out);
        ``many``: a list of documents."""
        given = {name: value for name, value in (params or {}).items() if value is not None}
        query = "?" + urlencode(given, quote_via=quote) if given else ""
        return self.shaped(self.request("GET", path + query), many)

    def post(self, path: str, body: dict[str, Any], key: str | None = None, *, many: bool = False) -> Any:
        """The document ``POST path`` with ``body`` (fields that are None left out) answers
        with, ``key`` sent as its Idempotency-Key; ``many``: a list of documents."""
        given = {name: value for name, value in body.items() if value is not None}
        return self.shaped(self.request("POST", path, json.dumps(given).encode("ascii"), key), many)

    def request(self, method: str, path: str, body: bytes | None = None, key: str | None = None) -> Any:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "User-Agent": "piecepay-cli",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            if not key.isascii():  # an HTTP header carries it, and headers are not UTF-8
                raise BadInput("over a server, an idempotency key must be ASCII characters", "bad_key")
            headers["Idempotency-Key"] = key
        connection = self._connection()
        try:
            connection.request(method, self.prefix + path, body=body, headers=headers)
            reply = connection.getresponse()
            raw = reply.read(MAX_REPLY + 1)
        except TimeoutError:
            raise self._unreachable(f"no answer within {self.timeout:g} s (PIECEPAY_TIMEOUT)") from None
        except (OSError, http.client.HTTPException) as exc:
            reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
            raise self._unreachable(reason) from None
        finally:
            connection.close()
        if len(raw) > MAX_REPLY:
            raise StorageError(f"the server at {self.url} answered with more than {MAX_REPLY} bytes", "bad_reply")
        return self._answer(reply.status, reply.reason, raw)

    def _connection(self) -> http.client.HTTPConnection:
        if self.secure:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _unreachable(self, reason: str) -> StorageError:
        return StorageError(f"cannot reach the server at {self.url}: {reason}", "server_unreachable")

    def _answer(self, status: int, reason: str, raw: bytes) -> Any:
        """The reply's document, or the error it tells of raised as the command line's own."""
        try:
            document = json.loads(raw)
            parsed = True
        except ValueError:
            document, parsed = None, False
        if 200 <= status < 300 and parsed:
            return document
        error = document.get("error") if isinstance(document, dict) else None
        if not 200 <= status < 300 and isinstance(error, dict):
            code, message = error.get("code"), error.get("message")
            if isinstance(message, str) and message:
                shown = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + " …"
                raise from_http(status, code if isinstance(code, str) and CODE.fullmatch(code) else None, shown)
        raise StorageError(
            f"the server at {self.url} answered HTTP {status} {reason[:100]} without a piecepay JSON document",
            "bad_reply",
        )

    def shaped(self, reply: Any, many: bool) -> Any:
        """``reply`` if it is one document (a JSON object), or with ``many`` a list of them."""
        fits = (
            isinstance(reply, list) and all(isinstance(item, dict) for item in reply)
            if many
            else isinstance(reply, dict)
        )
        if not fits:
            raise StorageError(f"the server at {self.url} answered with a document of another shape", "bad_reply")
        return reply
