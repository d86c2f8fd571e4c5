"""The JSON API: ``Authorization: Bearer TOKEN``; results are the command line's ``--json``
documents; errors ``{"error": {"code", "message"}}`` with the command line's codes; every
POST takes an ``Idempotency-Key`` header, as the command line takes ``--key``."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from piecepay import inputs
from piecepay.cli import documents
from piecepay.errors import BadInput, KeyConflict, TooLarge
from piecepay.models import ContractStatus, Grouping, TokenRole
from piecepay.parties import Action, Party, missing_contract
from piecepay.server.app import MAX_JSON, Served, bearer, credential, json_response
from piecepay.session import Session


class Body:
    """A request's JSON object, read field by field with the input rules; a field it does not
    know is refused, so a misspelt one is never silently ignored."""

    def __init__(self, data: dict[str, Any], known: tuple[str, ...]) -> None:
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise BadInput(f"unknown field '{unknown[0]}' (known: {', '.join(known) or 'none'})", "bad_field")
        self.data = data

    def text(self, name: str) -> str | None:
        """A string field, or None when absent or null."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise BadInput(f"field '{name}' must be a string", "bad_field")
        return value

    def number(self, name: str) -> str | None:
        """A number given as a string ("5", "2.5") or a JSON number, as its exact text."""
        value = self.data.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise BadInput(f"field '{name}' must be a number or a string", "bad_field")
        return str(value)

    def texts(self, name: str) -> list[str]:
        """A list of strings (empty when absent)."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise BadInput(f"field '{name}' must be a list of strings", "bad_field")
        return value


async def body(request: Request, *known: str) -> Body:
    """The request's JSON object (no body: an empty one), at most MAX_JSON bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_JSON:
        raise TooLarge(f"the request body is larger than {MAX_JSON} bytes", "body_too_large")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON:
            raise TooLarge(f"the request body is larger than {MAX_JSON} bytes", "body_too_large")
    if not raw.strip():
        return Body({}, known)
    try:
        data = json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"the request body is not JSON: {exc}", "bad_json") from None
    if not isinstance(data, dict):
        raise BadInput("the request body must be a JSON object", "bad_json")
    return Body(data, known)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def idempotency_key(request: Request, party: Party) -> str | None:
    """The request's Idempotency-Key, kept in the token's own space: one party's key never
    replays (or collides with) another's."""
    given = inputs.key(request.headers.get("idempotency-key"))
    return None if given is None else f"{KEY_SPACE.format(party.token.id)}{given}"


KEY_SPACE = "token {}: "  # before a key given over the API, as the ledger keeps it


def query(request: Request, *known: str) -> dict[str, str]:
    """The query's parameters, each given at most once; an unknown one is refused."""
    params = request.query_params
    for name in params:
        if name not in known:
            raise BadInput(f"unknown parameter '{name}' (known: {', '.join(known) or 'none'})", "bad_parameter")
        if len(params.getlist(name)) > 1:
            raise BadInput(f"parameter '{name}' is given twice", "bad_parameter")
    return dict(params)


MAX_MANY = 1000  # bills resolved in one request


def bill_list(given: Body) -> list[int]:
    """A list of bill ids ({"bills": [3, "4", "#5"]}), at least one and at most MAX_MANY."""
    value = given.data.get("bills")
    if not isinstance(value, list) or not value or len(value) > MAX_MANY:
        raise BadInput(f"field 'bills' must list 1 to {MAX_MANY} bill ids", "bad_field")
    if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in value):
        raise BadInput("field 'bills' must list bill ids", "bad_field")
    return [inputs.bill_id(str(item)) for item in value]


def path_bill(request: Request) -> int:
    return inputs.bill_id(request.path_params["bill"])


# ---------------------------------------------------------------- reading


def contract_document(s: Session, contract_id: int) -> dict[str, Any]:
    """A contract as ``GET /api/contracts`` lists it: its figures and its open milestone's cap."""
    from piecepay.money import format_rate
    from piecepay.operations.campaigns import contract_state

    state = contract_state(s, s.store.contract(contract_id))
    document = documents.contract(state)
    milestone = s.store.open_milestone(contract_id)
    cap_left = None
    if milestone is not None and milestone.cap is not None:
        cap_left = milestone.cap - s.store.milestone_spent(milestone)
    document["milestone"] = milestone.seq if milestone is not None else None
    document.update(documents.money("cap_left", cap_left))
    document.update(documents.money("cap", milestone.cap if milestone is not None else None))
    document["step"] = format_rate(state.campaign.step)
    return document


def visible_contracts(s: Session, party: Party) -> list[int]:
    listed = (ContractStatus.ACTIVE, ContractStatus.ENDED)
    return [k.id for k in s.store.contracts() if k.status in listed and party.sees(k)]


def report_scope(party: Party) -> Any:
    from piecepay.operations.reports import Scope

    campaigns = frozenset(party.token.campaign_ids) or None
    return Scope(campaigns, party.worker_id if party.role is TokenRole.WORKER else None)


def routes(served: Served) -> list[Route]:
    """Every route of the API, with the role each needs in its docstring (``openapi``)."""

    async def me(request: Request) -> Response:
        """The token the request carries: its name, role, worker, campaigns and last day."""

        def work(s: Session, party: Party) -> Any:
            return documents.token(party.token, s.today)

        return json_response(await served.run(request, bearer(request), work, write=False))

    async def list_contracts(request: Request) -> Response:
        """The contracts the token may see (a worker: their own), with rate, escrow and cap left."""
        query(request)

        def work(s: Session, party: Party) -> Any:
            party.may(Action.READ)
            with s.store.snapshot():
                return [contract_document(s, k) for k in visible_contracts(s, party)]

        return json_response(await served.run(request, bearer(request), work, write=False))

    async def list_bills(request: Request) -> Response:
        """Bills the token may see, oldest first: ?status=pending|released|rejected|revising,
        ?campaign=, ?worker=, ?contract=."""
        from piecepay.operations.queue import bill_queue

        params = query(request, "status", "campaign", "worker", "contract", "older_than", "due_within")
        status = inputs.bill_status(params.get("status"))
        older = inputs.count(params.get("older_than"), "older_than", minimum=0, maximum=inputs.MAX_DAYS)
        due = inputs.count(params.get("due_within"), "due_within", minimum=0, maximum=inputs.MAX_DAYS)

        def work(s: Session, party: Party) -> Any:
            party.may(Action.READ)
            contracts = {k.id: k for k in s.store.contracts()}
            worker = params.get("worker")
            if party.role is TokenRole.WORKER:  # a worker's own bills, read as such (not all, then kept)
                if worker is not None and worker != party.token.worker_handle:
                    raise no_worker(worker)
                worker = party.token.worker_handle
            contract = params.get("contract")
            if contract is not None:
                party.check_contract(_found_contract(s, party, contract), contract)
            found = bill_queue(s, status, params.get("campaign"), worker, contract, older, due)
            return [documents.queued_bill(q) for q in found if party.sees(contracts[q.line.bill.contract_id])]

        return json_response(await served.run(request, bearer(request), work, write=False))

    async def show_bill(request: Request) -> Response:
        """One bill with its review window, revisions and entries."""
        from piecepay.operations.queue import bill_detail

        bill_id = path_bill(request)

        def work(s: Session, party: Party) -> Any:
            party.may(Action.READ)
            check_bill(s, party, bill_id)
            return documents.bill_detail(bill_detail(s, bill_id))

        return json_response(await served.run(request, bearer(request), work, write=False))

    async def report(request: Request) -> Response:
        """The escrow report over the token's campaigns: ?by=campaign|contract|worker, ?campaign=."""
        from piecepay.operations.reports import report as escrow_report

        params = query(request, "by", "campaign")
        by = inputs.grouping(params.get("by", Grouping.CAMPAIGN.value))

        def work(s: Session, party: Party) -> Any:
            party.may(Action.REPORT)
            return documents.report(escrow_report(s, params.get("campaign"), by, report_scope(party)))

        return json_response(await served.run(request, bearer(request), work, write=False))

    async def statement(request: Request) -> Response:
        """A worker's statement: their escrow figures, earnings, and bills (a worker: their own;
        others name ?worker=)."""
        from piecepay.operations.queue import bill_queue
        from piecepay.operations.reports import Scope
        from piecepay.operations.reports import report as escrow_report

        params = query(request, "worker")

        def work(s: Session, party: Party) -> Any:
            party.may(Action.STATEMENT)
            handle = params.get("worker") or party.token.worker_handle
            if handle is None:
                raise BadInput("name the worker: ?worker=HANDLE", "worker_required")
            if party.role is TokenRole.WORKER and handle != party.token.worker_handle:
                raise no_worker(handle)
            worker_id = s.store.find_worker(handle).id
            scope = Scope(report_scope(party).campaign_ids, worker_id)
            rows = escrow_report(s, None, Grouping.WORKER, scope)
            contracts = {k.id for k in s.store.contracts() if scope.covers(k)}
            bills = [q for q in bill_queue(s, worker_ref=handle) if q.line.bill.contract_id in contracts]
            return {
                "worker": handle,
                **documents.report(rows),
                "bills": [documents.queued_bill(q) for q in bills],
            }

        return json_response(await served.run(request, bearer(request), work, write=False))

    # ---------------------------------------------------------------- acting

    async def create_bill(request: Request) -> Response:
        """Bill pieces on a contract's open milestone: {"contract", "pieces", "note", "minutes",
        "proofs", "date"} (a worker: on their own contract)."""
        from piecepay.operations.bills import BillRequest
        from piecepay.operations.bills import bill as bill_pieces

        given = await body(request, "contract", "pieces", "note", "minutes", "proofs", "date")
        pieces = inputs.pieces(given.number("pieces"))
        if pieces is None:
            raise BadInput("field 'pieces' is required", "bad_field")
        note, minutes = inputs.note(given.text("note")), inputs.count(given.number("minutes"), "minutes")
        proofs = tuple(inputs.proof(p) for p in given.texts("proofs"))
        day = inputs.day(given.text("date"), "bill date")
        ref = given.text("contract")

        def work(s: Session, party: Party) -> Any:
            party.may(Action.BILL)
            contract = billing_contract(s, party, ref)
            request_ = BillRequest(str(contract), pieces, proofs, note, minutes, day)
            return documents.bill(bill_pieces(s, request_, idempotency_key(request, party)))

        return await _acted(request, served, work, created=True)

    async def release(request: Request) -> Response:
        """Release a bill, all its pieces or {"pieces": N}; a rejected one within its reversal window."""
        from piecepay.operations.bills import release as release_bill

        bill_id, given = path_bill(request), await body(request, "pieces", "date")
        pieces, day = inputs.pieces(given.number("pieces")), inputs.day(given.text("date"), "release date")

        def work(s: Session, party: Party) -> Any:
            party.may(Action.RELEASE)
            check_bill(s, party, bill_id)
            return documents.bill(release_bill(s, bill_id, pieces, day, idempotency_key(request, party)))

        return await _acted(request, served, work)

    async def reject(request: Request) -> Response:
        """Reject a bill: {"reason"}; its reservation returns to escrow."""
        from piecepay.operations.bills import reject as reject_bill

        bill_id, given = path_bill(request), await body(request, "reason", "date")
        reason, day = inputs.reason(given.text("reason") or ""), inputs.day(given.text("date"), "reject date")

        def work(s: Session, party: Party) -> Any:
            party.may(Action.REJECT)
            check_bill(s, party, bill_id)
            return documents.bill(reject_bill(s, bill_id, reason, day, idempotency_key(request, party)))

        return await _acted(request, served, work)

    async def release_many(request: Request) -> Response:
        """Release several bills in full, in one transaction, all or none: {"bills": [ids]}."""
        from piecepay.operations.queue import release_each

        given = await body(request, "bills", "date")
        bill_ids, day = bill_list(given), inputs.day(given.text("date"), "release date")

        def work(s: Session, party: Party) -> Any:
            party.may(Action.RELEASE)
            check_bills(s, party, bill_ids, "released")
            done = release_each(s, bill_ids, day, idempotency_key(request, party))
            return [documents.bill(state) for state in done]

        return await _acted(request, served, work)

    async def reject_many(request: Request) -> Response:
        """Reject several bills with one reason, in one transaction, all or none: {"bills", "reason"}."""
        from piecepay.operations.queue import reject_each

        given = await body(request, "bills", "reason", "date")
        bill_ids, day = bill_list(given), inputs.day(given.text("date"), "reject date")
        reason = inputs.reason(given.text("reason") or "")

        def work(s: Session, party: Party) -> Any:
            party.may(Action.REJECT)
            check_bills(s, party, bill_ids, "rejected")
            done = reject_each(s, bill_ids, reason, day, idempotency_key(request, party))
            return [documents.bill(state) for state in done]

        return await _acted(request, served, work)

    async def revise(request: Request) -> Response:
        """Send a bill back for a revision: {"reason"}."""
        from piecepay.operations.bills import revise as revise_bill

        bill_id, given = path_bill(request), await body(request, "reason", "date")
        reason, day = inputs.reason(given.text("reason") or ""), inputs.day(given.text("date"), "revision date")

        def work(s: Session, party: Party) -> Any:
            party.may(Action.REVISE)
            check_bill(s, party, bill_id)
            return documents.bill(revise_bill(s, bill_id, reason, day, idempotency_key(request, party)))

        return await _acted(request, served, work)

    async def resubmit(request: Request) -> Response:
        """Send a revised bill back for review: {"pieces", "note", "minutes", "proofs", "date"}."""
        from piecepay.operations.bills import Resubmission
        from piecepay.operations.bills import resubmit as resubmit_bill

        bill_id = path_bill(request)
        given = await body(request, "pieces", "note", "minutes", "proofs", "date")
        asked = Resubmission(
            inputs.pieces(given.number("pieces")),
            tuple(inputs.proof(p) for p in given.texts("proofs")),
            inputs.note(given.text("note")),
            inputs.count(given.number("minutes"), "minutes"),
            inputs.day(given.text("date"), "resubmission date"),
        )

        def work(s: Session, party: Party) -> Any:
            party.may(Action.RESUBMIT)
            check_bill(s, party, bill_id)
            return documents.bill(resubmit_bill(s, bill_id, asked, idempotency_key(request, party)))

        return await _acted(request, served, work)

    async def add_proofs(request: Request) -> Response:
        """Add proof files to an open bill (multipart/form-data, one or more "file" parts): each is
        kept by its SHA-256 if its content is an allowed type (images, PDF, audio, text) within
        the size limit, and named on the bill by a proof_added entry."""
        bill_id = path_bill(request)

        def allowed(s: Session, party: Party) -> None:
            party.may(Action.ADD_PROOF)
            check_bill(s, party, bill_id)

        await served.run(request, bearer(request), allowed, write=False)  # before a byte is kept
        uploads = await stored_uploads(request, served)

        def work(s: Session, party: Party) -> Any:
            from piecepay.operations.proofs import attach

            allowed(s, party)
            from piecepay.operations.queue import bill_detail

            attach(s, bill_id, uploads, idempotency_key(request, party))
            return documents.bill_detail(bill_detail(s, bill_id))

        return await _acted(request, served, work)

    async def get_proof(request: Request) -> Response:
        """One proof file a bill names, to its worker and to those who review its campaign."""
        from starlette.responses import FileResponse

        from piecepay.operations.bills import bill_state
        from piecepay.operations.proofs import check_named
        from piecepay.proofstore import path_of, sniff

        bill_id, digest = path_bill(request), request.path_params["digest"]

        def work(s: Session, party: Party) -> Any:
            party.may(Action.READ)
            check_bill(s, party, bill_id)
            check_named(s, bill_state(s, bill_id), digest)
            return path_of(served.config.proofs, digest)

        path = await served.run(request, credential(request), work, write=False)
        with path.open("rb") as stored:
            media_type = sniff(stored.read(4096)) or "application/octet-stream"
        disposition = f'inline; filename="proof-{digest[:12]}"'
        return FileResponse(path, media_type=media_type, headers={"Content-Disposition": disposition})

    async def openapi(request: Request) -> Response:
        """This API described as OpenAPI 3.1."""
        from piecepay.server.openapi import document

        return json_response(document(table))

    table = [
        Route("/api/openapi.json", openapi, methods=["GET"], name="openapi"),
        Route("/api/me", me, methods=["GET"], name="me"),
        Route("/api/contracts", list_contracts, methods=["GET"], name="contracts"),
        Route("/api/bills", list_bills, methods=["GET"], name="bills"),
        Route("/api/bills", create_bill, methods=["POST"], name="bill"),
        Route("/api/bills/release", release_many, methods=["POST"], name="release_many"),
        Route("/api/bills/reject", reject_many, methods=["POST"], name="reject_many"),
        Route("/api/bills/{bill}", show_bill, methods=["GET"], name="bill_detail"),
        Route("/api/bills/{bill}/release", release, methods=["POST"], name="release"),
        Route("/api/bills/{bill}/reject", reject, methods=["POST"], name="reject"),
        Route("/api/bills/{bill}/revise", revise, methods=["POST"], name="revise"),
        Route("/api/bills/{bill}/resubmit", resubmit, methods=["POST"], name="resubmit"),
        Route("/api/bills/{bill}/proofs", add_proofs, methods=["POST"], name="proofs"),
        Route("/api/bills/{bill}/proofs/{digest}", get_proof, methods=["GET"], name="proof"),
        Route("/api/report", report, methods=["GET"], name="report"),
        Route("/api/statement", statement, methods=["GET"], name="statement"),
    ]
    return table


MAX_UPLOADS = 10  # files in one request


async def stored_uploads(request: Request, served: Served) -> list[Any]:
    """The files of a multipart request, each stored under the proofs folder (refused whole:
    too many, too large, or of a type not allowed). The request's declared length is checked
    first, so an oversize upload is refused before it is read."""
    from piecepay import proofstore
    from piecepay.operations.proofs import Upload

    limit = served.config.upload_limit
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise BadInput("an upload must declare its Content-Length", "length_required")
    if int(declared) > MAX_UPLOADS * limit + MAX_JSON:
        raise TooLarge(f"the upload is larger than {MAX_UPLOADS} files of the limit", "proof_too_large")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadInput("send the files as multipart/form-data, each in a 'file' part", "bad_upload")
    form = await request.form(max_files=MAX_UPLOADS, max_fields=MAX_UPLOADS, max_part_size=MAX_JSON)
    try:
        files = [value for name, value in form.multi_items() if name == "file" and not isinstance(value, str)]
        unknown = sorted({name for name, _ in form.multi_items()} - {"file"})
        if unknown:
            raise BadInput(f"unknown field '{unknown[0]}' (send each file in a 'file' part)", "bad_field")
        if not files:
            raise BadInput("no file: send each one in a 'file' part", "bad_upload")

        def keep() -> list[Upload]:
            kept = []
            for upload in files:
                stored = proofstore.store(served.config.proofs, upload.file, limit)
                kept.append(Upload(stored.digest, stored.media_type, stored.size))
            return kept

        return await run_in_threadpool(keep)
    finally:
        await form.close()


async def _acted(
    request: Request, served: Served, work: Callable[[Session, Party], Any], *, created: bool = False
) -> Response:
    """A POST's result: 201 for a new bill, 200 otherwise, and 200 with ``Idempotent-Replayed:
    true`` for a keyed request answered from its first result."""
    try:
        document = await served.run(request, bearer(request), work, write=True)
    except KeyConflict as conflict:  # told of the key as the client gave it
        given = request.headers.get("idempotency-key", "")
        kept = f"'{KEY_SPACE.format(getattr(request.state, 'token_id', ''))}{given}"
        raise KeyConflict(conflict.message.replace(kept, f"'{given}"), conflict.code) from None
    replayed = getattr(request.state, "replayed", 0) > 0
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return json_response(document, 201 if created and not replayed else 200, headers)


def check_bill(s: Session, party: Party, bill_id: int) -> None:
    """Not found, as a missing bill is, unless the party may see the bill (the API's and the
    pages' one check of a bill's scope)."""
    from piecepay.operations.bills import find_bill

    party.check_bill(bill_id, s.store.contract(find_bill(s, bill_id).contract_id))


def check_bills(s: Session, party: Party, bill_ids: list[int], done: str) -> None:
    """Every bill of several may be seen by the party; else the first that may not is not found,
    and nothing is ``done``, in the words the command line uses."""
    from piecepay.errors import PiecepayError
    from piecepay.operations.queue import ManyRefused

    for bill_id in bill_ids:
        try:
            check_bill(s, party, bill_id)
        except PiecepayError as error:
            raise ManyRefused(bill_id, error, done) from error


def _found_contract(s: Session, party: Party, ref: str) -> Any:
    """The contract ``ref`` names. To a party who may not see every contract, any way of not
    finding it (no such campaign, no such worker) is told in the same words."""
    from piecepay.errors import NotFound

    try:
        return s.store.find_contract(ref)
    except NotFound:
        if party.role is TokenRole.OWNER:
            raise
        raise missing_contract(ref) from None


def no_worker(handle: str) -> Exception:
    """A worker asking after another worker is told there is no such worker, whoever it is."""
    from piecepay.errors import NotFound

    return NotFound(f"no worker '{handle}' (see 'piecepay worker list')", "worker_not_found")


def billing_contract(s: Session, party: Party, ref: str | None) -> int:
    """The contract a bill goes on: the one named, if the party may see it; else the party's
    only active contract."""
    if ref is not None:
        contract = _found_contract(s, party, ref)
        return party.check_contract(contract, ref).id
    active = [k for k in s.store.contracts(status=ContractStatus.ACTIVE) if party.sees(k)]
    if len(active) == 1:
        return active[0].id
    if not active:
        raise BadInput("no active contract to bill; name one in 'contract'", "no_active_contract")
    raise BadInput(
        f"{len(active)} contracts are active; name one in 'contract': "
        + ", ".join(k.ref for k in active[:10])
        + (" …" if len(active) > 10 else ""),
        "contract_ambiguous",
    )
