"""The web pages, made for a phone: a worker signs in with their token (or a one-time link),
sees their contracts, bills pieces with photos from the camera, follows each bill and their
earnings; a reviewer works through the queue, oldest first, with the proofs inline.

A browser holds its session in the ``piecepay_session`` cookie (HttpOnly, SameSite=Strict,
Secure over https). Every form that acts carries a CSRF field, the HMAC-SHA256 of the
string "csrf" keyed by the session's secret; a sign-in form, before any session exists,
carries a random value that must equal the ``piecepay_signin`` cookie (a double submit).
A POST whose Origin header names another origin is refused either way. Pages are Jinja2
templates with every value escaped, and load only the stylesheet served here: the
Content-Security-Policy (``app.Guarded``) allows no inline script or style.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from piecepay import inputs
from piecepay.cli import documents
from piecepay.errors import BadInput, NotAllowed, NotFound, PiecepayError, TooLarge, Unauthenticated
from piecepay.models import BillStatus, Grouping, TokenRole
from piecepay.operations.proofs import Upload
from piecepay.parties import Action, Party
from piecepay.server import api
from piecepay.server.app import MAX_JSON, SESSION_COOKIE, Served, credential
from piecepay.session import Session

HERE = Path(__file__).parent
SIGNIN_COOKIE = "piecepay_signin"  # a sign-in form's double-submit value
FLASH_COOKIE = "piecepay_flash"  # what the last POST did, shown once by the page it redirects to
FLASH_SECONDS = 60
FLASH_MAX = 600  # characters of a message carried to the next page
SIGNIN_SECONDS = 3600
NONCE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
SHOWN_BILLS = 50  # a worker's latest bills on their page
SHOWN_QUEUE = 100  # the oldest bills of the queue on a reviewer's page
MAX_FIELDS = 20
MAX_SELECTED = api.MAX_MANY

Work = Callable[[Session, Party], Any]
Prepare = Callable[[FormData, tuple[Upload, ...]], Work]  # a form and its kept proofs, to the work


def csrf_of(secret: str) -> str:
    """The CSRF field of a session's forms: HMAC-SHA256(key=the session's secret, b"csrf"), hex."""
    return hmac.new(secret.encode(), b"csrf", hashlib.sha256).hexdigest()


def same_origin(request: Request) -> bool:
    """Whether the request's Origin header, when it has one, is this server's own."""
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def matches(given: object, expected: str) -> bool:
    """Whether a form's field is the value expected, compared in constant time."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def stale_form() -> NotAllowed:
    return NotAllowed("this form is out of date or came from another site: reload the page and try again", "csrf")


def _set_cookie(response: Response, request: Request, name: str, value: str, seconds: int) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(name, value, seconds, path="/", secure=secure, httponly=True, samesite="strict")


def _drop_cookie(response: Response, request: Request, name: str) -> None:
    secure = request.url.scheme == "https"
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="strict")


def flash_value(kind: str, text: str) -> str:
    """A message for the next page, as a cookie's value (base64 of JSON: any text survives)."""
    shown = text if len(text) <= FLASH_MAX else text[: FLASH_MAX - 1] + "…"
    return base64.urlsafe_b64encode(json.dumps({"kind": kind, "text": shown}).encode()).decode()


def flash_of(request: Request) -> dict[str, str] | None:
    """The message the last POST left, if any and well formed."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(data, dict) or data.get("kind") not in ("ok", "error") or not isinstance(data.get("text"), str):
        return None
    return {"kind": data["kind"], "text": data["text"][:FLASH_MAX]}


def redirect_home(request: Request, kind: str, text: str) -> Response:
    response = RedirectResponse("/", 303)
    _set_cookie(response, request, FLASH_COOKIE, flash_value(kind, text), FLASH_SECONDS)
    return response


def counted_units(pieces: str, unit: str) -> str:
    """The unit as a count written as text says it: '1 photo', '5 photos', '2.5 minutes'."""
    from piecepay.models import units

    return units(1000 if pieces == "1" else 0, unit)


class Pages:
    """The templates, rendered with autoescape on for every value."""

    def __init__(self) -> None:
        import jinja2

        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["units"] = counted_units

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("who", None)
        context.setdefault("flash", None)
        context.setdefault("csrf", "")
        html = self.env.get_template(name).render(**context)
        # Same-origin POSTs then carry their Origin (under no-referrer a browser sends "null").
        return HTMLResponse(html, status, headers={"Referrer-Policy": "same-origin"})


# ---------------------------------------------------------------- forms


async def read_form(request: Request, limit: int, max_files: int) -> FormData:
    """The request's form, refused before it is read when its declared length passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise BadInput("a form must declare its Content-Length", "length_required")
    if int(declared) > limit:
        raise TooLarge("the form is larger than the server takes", "form_too_large")
    from starlette.exceptions import HTTPException

    try:
        return await request.form(max_files=max_files, max_fields=MAX_FIELDS, max_part_size=MAX_JSON)
    except HTTPException as exc:  # the parser's refusals: too many files or fields, a malformed body
        raise BadInput(f"the form is refused: {str(exc.detail).lower()}", "bad_form") from None


def text_field(form: FormData, name: str) -> str | None:
    """A text field, None when absent or blank."""
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def files_of(form: FormData, name: str = "proof") -> list[UploadFile]:
    """The files chosen in a file input (a browser sends one empty part when none was)."""
    return [
        value
        for value in form.getlist(name)
        if isinstance(value, UploadFile) and (value.filename or (value.size or 0) > 0)
    ]


def store_proofs(served: Served, files: list[UploadFile]) -> tuple[Upload, ...]:
    """Keep each file in the proof store (all of them, or none named: a refused one raises)."""
    from piecepay import proofstore

    kept = []
    for upload in files:
        stored = proofstore.store(served.config.proofs, upload.file, served.config.upload_limit)
        kept.append(Upload(stored.digest, stored.media_type, stored.size))
    return tuple(kept)


def named(proofs: tuple[Upload, ...]) -> tuple[str, ...]:
    """How a bill names kept proofs (``sha256:<digest>``)."""
    from piecepay.operations.proofs import reference

    return tuple(reference(upload.digest) for upload in proofs)


# ---------------------------------------------------------------- views


def who(party: Party) -> dict[str, str]:
    return {"name": party.name, "role": str(party.role)}


def worker_view(s: Session, party: Party) -> tuple[str, dict[str, Any]]:
    """A worker's page: contracts, their latest bills with revisions, and earnings."""
    from piecepay.operations.queue import bill_detail, bill_queue
    from piecepay.operations.reports import Scope, report

    party.may(Action.BILL)
    with s.store.snapshot():
        contracts = [api.contract_document(s, k) for k in api.visible_contracts(s, party)]
        mine = {k.id for k in s.store.contracts() if party.sees(k)}
        lines = [q for q in bill_queue(s, worker_ref=party.token.worker_handle) if q.line.bill.contract_id in mine]
        bills = [
            with_proof_count(documents.bill_detail(bill_detail(s, q.line.bill.id))) for q in lines[::-1][:SHOWN_BILLS]
        ]
    scope = Scope(api.report_scope(party).campaign_ids, party.worker_id)
    earnings = documents.report(report(s, None, Grouping.WORKER, scope))["rows"]  # a snapshot of its own
    return "worker.html", {
        "contracts": contracts,
        "bills": bills,
        "more_bills": max(0, len(lines) - SHOWN_BILLS),
        "earnings": earnings,
        "form_key": secrets.token_urlsafe(16),
    }


def with_proof_count(bill: dict[str, Any]) -> dict[str, Any]:
    """A bill's document with how many proofs it has: its own (links, paths) and its uploads."""
    own = [p for p in bill["proofs"] if not p.startswith("sha256:")]
    return {**bill, "proof_count": len(own) + len(bill["uploads"])}


def queue_view(s: Session, party: Party, proofs: Path) -> tuple[str, dict[str, Any]]:
    """A reviewer's page: open bills (pending, and out for a revision), oldest first, each with
    its proofs."""
    from piecepay.operations.queue import bill_detail, bill_queue

    party.may(Action.RELEASE)
    with s.store.snapshot():
        contracts = {k.id: k for k in s.store.contracts()}
        found = [q for status in (BillStatus.PENDING, BillStatus.REVISING) for q in bill_queue(s, status)]
        found = [q for q in found if party.sees(contracts[q.line.bill.contract_id])]
        found.sort(key=lambda q: (q.line.bill.effective_date, q.line.bill.id))
        rows = []
        for q in found[:SHOWN_QUEUE]:
            bill_id = q.line.bill.id
            shown = [proof_shown(proofs, bill_id, digest) for digest in bill_detail(s, bill_id).uploads]
            rows.append({**documents.queued_bill(q), "uploads": shown})
    return "queue.html", {"rows": rows, "more_rows": max(0, len(found) - SHOWN_QUEUE)}


def proof_shown(folder: Path, bill_id: int, digest: str) -> dict[str, str]:
    """An uploaded proof as a page shows it: its digest, the address it is fetched from (the
    API's, which takes the session cookie too), and how: image, audio, a link, or missing."""
    from piecepay.proofstore import HEAD_SIZE, path_of, sniff

    url = f"/api/bills/{bill_id}/proofs/{digest}"
    try:
        with path_of(folder, digest).open("rb") as stored:
            media_type = sniff(stored.read(HEAD_SIZE)) or ""
    except (OSError, PiecepayError):
        return {"digest": digest, "url": url, "kind": "missing"}
    if media_type in ("image/jpeg", "image/png", "image/gif", "image/webp"):
        kind = "image"
    else:
        kind = "audio" if media_type.startswith("audio/") else "file"
    return {"digest": digest, "url": url, "kind": kind}


def home_view(s: Session, party: Party, proofs: Path) -> tuple[str, dict[str, Any]]:
    name, context = worker_view(s, party) if party.role is TokenRole.WORKER else queue_view(s, party, proofs)
    return name, {**context, "who": who(party)}


# ---------------------------------------------------------------- messages


def billed_text(document: dict[str, Any]) -> str:
    return (
        f"Bill {document['id']}: {document['pieces']} {counted_units(document['pieces'], document['unit'])} for "
        f"{document['amount']} {document['currency']}, {document['status']}."
    )


def resolved_text(documents_: list[dict[str, Any]]) -> str:
    """What releasing, rejecting or sending back bills did, one clause a bill."""
    done = []
    for d in documents_:
        clause = f"bill {d['id']} {d['status']}"
        if d["status"] == "released":
            released = f"{d['released_pieces']} {counted_units(d['released_pieces'], d['unit'])}"
            clause += f" ({released}, {d['released']} {d['currency']})"
        done.append(clause)
    text = "; ".join(done)
    return text[:1].upper() + text[1:] + "."


# ---------------------------------------------------------------- routes


def routes(served: Served) -> list[BaseRoute]:
    """The web pages' routes and the static files they load."""
    from starlette.staticfiles import StaticFiles

    pages = Pages()
    proofs_folder = served.config.proofs
    form_limit = MAX_JSON
    upload_form_limit = api.MAX_UPLOADS * served.config.upload_limit + MAX_JSON

    def signin_page(
        request: Request, message: str | None = None, status: int = 200, template: str = "signin.html"
    ) -> Response:
        given = request.cookies.get(SIGNIN_COOKIE, "")
        nonce = given if NONCE.fullmatch(given) else secrets.token_urlsafe(32)
        response = pages.render(template, status, csrf=nonce, message=message)
        _set_cookie(response, request, SIGNIN_COOKIE, nonce, SIGNIN_SECONDS)
        if status == 401 and request.cookies.get(SESSION_COOKIE):
            _drop_cookie(response, request, SESSION_COOKIE)
        return response

    def error_page(error: PiecepayError) -> Response:
        return pages.render("error.html", error.http_status, message=error.message)

    async def shown(request: Request, work: Work) -> Response:
        secret = credential(request)
        if not secret:
            return signin_page(request)
        try:
            name, context = await served.run(request, secret, work, write=False)
        except Unauthenticated as error:
            return signin_page(request, error.message, 401)
        except PiecepayError as error:
            return error_page(error)
        response = pages.render(name, csrf=csrf_of(secret), flash=flash_of(request), **context)
        if FLASH_COOKIE in request.cookies:
            _drop_cookie(response, request, FLASH_COOKIE)
        return response

    async def home(request: Request) -> Response:
        return await shown(request, lambda s, party: home_view(s, party, proofs_folder))

    async def queue(request: Request) -> Response:
        def work(s: Session, party: Party) -> tuple[str, dict[str, Any]]:
            name, context = queue_view(s, party, proofs_folder)
            return name, {**context, "who": who(party)}

        return await shown(request, work)

    # ---------------------------------------------------------------- signing in

    async def signing(request: Request, act: Callable[[Session, FormData], Any]) -> Response:
        """A sign-in form's POST: the double submit and Origin checked, then ``act`` makes the
        session, whose secret becomes the browser's cookie."""
        from piecepay.operations.signins import SESSION_HOURS

        if not same_origin(request):
            return error_page(stale_form())
        try:
            form = await read_form(request, form_limit, 0)
        except BadInput as error:
            return error_page(error)
        if not matches(form.get("csrf"), request.cookies.get(SIGNIN_COOKIE) or "") or not form.get("csrf"):
            return error_page(stale_form())

        def run() -> Any:
            s = served.open(write=True)
            try:
                done = act(s, form)
                request.state.actor = done.token.name
                return done
            finally:
                s.close()

        try:
            done = await run_in_threadpool(run)
        except PiecepayError as error:
            return signin_page(request, error.message, 401 if isinstance(error, Unauthenticated) else error.http_status)
        response = RedirectResponse("/", 303)
        _set_cookie(response, request, SESSION_COOKIE, done.secret, SESSION_HOURS * 3600)
        _drop_cookie(response, request, SIGNIN_COOKIE)
        return response

    async def sign_in_form(request: Request) -> Response:
        return signin_page(request)

    async def sign_in(request: Request) -> Response:
        from piecepay.operations.signins import sign_in as make_session

        def act(s: Session, form: FormData) -> Any:
            token = form.get("token")
            if not isinstance(token, str) or not token.strip():
                raise Unauthenticated("enter your token", "token_missing")
            return make_session(s, token.strip())

        return await signing(request, act)

    async def link_page(request: Request) -> Response:
        return signin_page(request, template="link.html")

    async def use_link(request: Request) -> Response:
        from piecepay.operations.signins import use_link as open_link

        code = request.path_params["code"]
        return await signing(request, lambda s, form: open_link(s, code))

    async def sign_out(request: Request) -> Response:
        from piecepay.operations.signins import sign_out as end_session

        secret = credential(request)
        if not secret:
            return RedirectResponse("/", 303)
        if not same_origin(request):
            return error_page(stale_form())
        try:
            form = await read_form(request, form_limit, 0)
        except BadInput as error:
            return error_page(error)
        if not matches(form.get("csrf"), csrf_of(secret)):
            return error_page(stale_form())

        def run() -> None:
            s = served.open(write=True)
            try:
                end_session(s, secret)
            finally:
                s.close()

        await run_in_threadpool(run)
        response = RedirectResponse("/", 303)
        _drop_cookie(response, request, SESSION_COOKIE)
        return response

    # ---------------------------------------------------------------- acting

    async def acted(request: Request, prepare: Prepare, *, uploads: Action | None = None) -> Response:
        """A form's POST: Origin and CSRF checked before anything is read or written, then the
        work; back home (303) with what it did, or with why not (a refusal as plain text). A
        form that ``uploads`` files for an action is read only once the session's role may take
        it, and its files are kept before the work, outside the ledger's write turn."""
        secret = credential(request)
        if not secret:
            return signin_page(request, "sign in first", 401)
        if not same_origin(request):
            return error_page(stale_form())
        try:
            if uploads is not None:  # nobody's files are read before their session and role are known
                await served.run(request, secret, lambda s, party: party.may(uploads), write=False)
            limit, files = (upload_form_limit, api.MAX_UPLOADS) if uploads is not None else (form_limit, 0)
            form = await read_form(request, limit, files)
            try:
                if not matches(form.get("csrf"), csrf_of(secret)):
                    return error_page(stale_form())
                kept = await run_in_threadpool(store_proofs, served, files_of(form)) if uploads is not None else ()
                message = await served.run(request, secret, prepare(form, kept), write=True)
            finally:
                await form.close()
        except Unauthenticated as error:
            return signin_page(request, error.message, 401)
        except (NotAllowed, NotFound) as error:
            return error_page(error)
        except PiecepayError as error:
            return redirect_home(request, "error", error.message)
        return redirect_home(request, "ok", message)

    async def bill(request: Request) -> Response:
        from piecepay.operations.bills import BillRequest
        from piecepay.operations.bills import bill as bill_pieces

        def prepare(form: FormData, proofs: tuple[Upload, ...]) -> Work:
            pieces = inputs.pieces(text_field(form, "pieces"))
            if pieces is None:
                raise BadInput("say how many pieces", "pieces_required")
            note = inputs.note(text_field(form, "note"))
            minutes = inputs.count(text_field(form, "minutes"), "minutes")
            ref = text_field(form, "contract")
            nonce = inputs.key(text_field(form, "key"))

            def work(s: Session, party: Party) -> str:
                party.may(Action.BILL)
                contract = api.billing_contract(s, party, ref)
                key = None if nonce is None else f"{api.KEY_SPACE.format(party.token.id)}web {nonce}"
                billed = bill_pieces(s, BillRequest(str(contract), pieces, named(proofs), note, minutes), key)
                return billed_text(documents.bill(billed))

            return work

        return await acted(request, prepare, uploads=Action.BILL)

    async def resubmit(request: Request) -> Response:
        from piecepay.operations.bills import Resubmission
        from piecepay.operations.bills import resubmit as resubmit_bill

        def prepare(form: FormData, proofs: tuple[Upload, ...]) -> Work:
            bill_id = api.path_bill(request)
            pieces = inputs.pieces(text_field(form, "pieces"))
            note = inputs.note(text_field(form, "note"))
            minutes = inputs.count(text_field(form, "minutes"), "minutes")

            def work(s: Session, party: Party) -> str:
                party.may(Action.RESUBMIT)
                api.check_bill(s, party, bill_id)
                asked = Resubmission(pieces, named(proofs), note, minutes)
                resubmit_bill(s, bill_id, asked)
                return f"Bill {bill_id} sent back for review."

            return work

        return await acted(request, prepare, uploads=Action.RESUBMIT)

    async def add_proofs(request: Request) -> Response:
        from piecepay.operations.proofs import attach

        def prepare(form: FormData, proofs: tuple[Upload, ...]) -> Work:
            bill_id = api.path_bill(request)
            if not proofs:
                raise BadInput("choose a file to add", "no_file")

            def work(s: Session, party: Party) -> str:
                party.may(Action.ADD_PROOF)
                api.check_bill(s, party, bill_id)
                attach(s, bill_id, proofs)
                return f"Bill {bill_id}: {len(proofs)} proof{'s' if len(proofs) != 1 else ''} added."

            return work

        return await acted(request, prepare, uploads=Action.ADD_PROOF)

    async def release(request: Request) -> Response:
        from piecepay.operations.bills import release as release_bill

        def prepare(form: FormData, _: tuple[Upload, ...]) -> Work:
            bill_id = api.path_bill(request)
            pieces = inputs.pieces(text_field(form, "pieces"))

            def work(s: Session, party: Party) -> str:
                party.may(Action.RELEASE)
                api.check_bill(s, party, bill_id)
                return resolved_text([documents.bill(release_bill(s, bill_id, pieces))])

            return work

        return await acted(request, prepare)

    def reasoned(act: Callable[[Session, int, str], Any], action: Action) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            def prepare(form: FormData, _: tuple[Upload, ...]) -> Work:
                bill_id = api.path_bill(request)
                reason = inputs.reason(text_field(form, "reason") or "")

                def work(s: Session, party: Party) -> str:
                    party.may(action)
                    api.check_bill(s, party, bill_id)
                    return resolved_text([documents.bill(act(s, bill_id, reason))])

                return work

            return await acted(request, prepare)

        return handler

    def reject_one(s: Session, bill_id: int, reason: str) -> Any:
        from piecepay.operations.bills import reject

        return reject(s, bill_id, reason)

    def revise_one(s: Session, bill_id: int, reason: str) -> Any:
        from piecepay.operations.bills import revise

        return revise(s, bill_id, reason)

    async def many(request: Request) -> Response:
        from piecepay.operations.queue import reject_each, release_each

        def prepare(form: FormData, _: tuple[Upload, ...]) -> Work:
            picked = [value for value in form.getlist("bill") if isinstance(value, str)]
            if not picked:
                raise BadInput("select at least one bill", "no_bill_selected")
            if len(picked) > MAX_SELECTED:
                raise BadInput(f"select at most {MAX_SELECTED} bills at once", "too_many_bills")
            bill_ids = [inputs.bill_id(value) for value in picked]
            action = text_field(form, "action")
            if action not in ("release", "reject"):
                raise BadInput("choose release or reject", "bad_action")
            reason = inputs.reason(text_field(form, "reason") or "") if action == "reject" else ""

            def work(s: Session, party: Party) -> str:
                party.may(Action.RELEASE if action == "release" else Action.REJECT)
                api.check_bills(s, party, bill_ids, "released" if action == "release" else "rejected")
                done = release_each(s, bill_ids) if action == "release" else reject_each(s, bill_ids, reason)
                return resolved_text([documents.bill(state) for state in done])

            return work

        return await acted(request, prepare)

    return [
        Route("/", home, methods=["GET"], name="home"),
        Route("/queue", queue, methods=["GET"], name="queue"),
        Route("/signin", sign_in_form, methods=["GET"], name="signin_form"),
        Route("/signin", sign_in, methods=["POST"], name="signin"),
        Route("/signin/{code}", link_page, methods=["GET"], name="link"),
        Route("/signin/{code}", use_link, methods=["POST"], name="use_link"),
        Route("/signout", sign_out, methods=["POST"], name="signout"),
        Route("/bills", bill, methods=["POST"], name="web_bill"),
        Route("/bills/many", many, methods=["POST"], name="web_many"),
        Route("/bills/{bill}/release", release, methods=["POST"], name="web_release"),
        Route("/bills/{bill}/reject", reasoned(reject_one, Action.REJECT), methods=["POST"], name="web_reject"),
        Route("/bills/{bill}/revise", reasoned(revise_one, Action.REVISE), methods=["POST"], name="web_revise"),
        Route("/bills/{bill}/resubmit", resubmit, methods=["POST"], name="web_resubmit"),
        Route("/bills/{bill}/proofs", add_proofs, methods=["POST"], name="web_proofs"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
