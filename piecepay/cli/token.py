"""piecepay token create|list|revoke"""

from typing import Annotated

import typer

from piecepay.cli.commands import new_app
from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt, list_format

app = new_app("Tokens: how the parties of a served ledger prove who they are.")


@app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help="owner, reviewer or worker.")],
    worker: Annotated[str | None, typer.Option(help="The worker a worker's token is for.")] = None,
    campaign: Annotated[
        list[str] | None, typer.Option(help="A campaign the token covers; may repeat (default: all).")
    ] = None,
    expires: Annotated[str | None, typer.Option(metavar="DATE", help="The token's last day (default: none).")] = None,
    name: Annotated[
        str | None, typer.Option(help="The actor its requests are recorded under (default: the worker or role).")
    ] = None,
) -> None:
    """Make a token and print it once: the ledger keeps only its SHA-256.

    Example: piecepay token create --role worker --worker ana --expires 2026-12-31
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.errors import BadInput
    from piecepay.models import TokenRole
    from piecepay.operations.tokens import create_token
    from piecepay.text import visible

    if role not in {r.value for r in TokenRole}:
        raise BadInput(f"--role must be owner, reviewer or worker, not '{visible(role)}'", "bad_role")
    day = inputs.day(expires, "--expires")
    checked_name = inputs.actor(name) if name is not None else None
    run = invocation(ctx)
    s = run.session(write=True)
    made = create_token(s, TokenRole(role), worker, tuple(campaign or ()), day, checked_name)
    document = documents.token(made.token, s.today, made.secret)
    run.sink.done(
        document,
        f"Token {made.token.id}: {made.token.name} ({made.token.role}). Keep it now: it is not shown again.",
        [("token", "token"), ("worker", "worker"), ("campaigns", "campaigns"), ("expires_on", "last day")],
    )


@app.command("list")
def list_tokens(ctx: typer.Context, fmt: FormatOpt = "table") -> None:
    """Every token with its terms and state (active, expired, revoked); never a secret.

    Example: piecepay token list
    """
    from piecepay.cli import documents
    from piecepay.operations.tokens import tokens

    form = list_format(fmt)
    run = invocation(ctx)
    s = run.session(write=False)
    run.sink.listing("token", [documents.token(t, s.today) for t in tokens(s)], fmt=form)


@app.command("revoke")
def revoke(ctx: typer.Context, token: Annotated[str, typer.Argument(metavar="ID", help="Token id.")]) -> None:
    """Revoke a token from today on: requests with it are refused.

    Example: piecepay token revoke 3
    """
    from piecepay.cli import documents
    from piecepay.errors import NotFound
    from piecepay.inputs import numeric_id
    from piecepay.operations.tokens import revoke_token

    token_id = numeric_id(token)
    if token_id is None:
        raise NotFound(f"no token '{token}' (see 'piecepay token list')", "token_not_found")
    run = invocation(ctx)
    s = run.session(write=True)
    run.sink.record("token", documents.token(revoke_token(s, token_id), s.today))


@app.command("link")
def link(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(metavar="ID", help="Token id.")],
    url: Annotated[
        str, typer.Option(envvar="PIECEPAY_SERVE_URL", help="The address the server is reached at.")
    ] = "http://127.0.0.1:8420",
    hours: Annotated[str, typer.Option(help="How long the link can be used (once), in hours.")] = "24",
) -> None:
    """Print a one-time sign-in link for a token's web pages: whoever opens it first is
    signed in as the token's holder, so send it only to them.

    Example: piecepay token link 3 --url https://pay.example.com
    """
    from piecepay import inputs
    from piecepay.errors import NotFound
    from piecepay.inputs import numeric_id
    from piecepay.operations.signins import MAX_LINK_HOURS, make_link

    token_id = numeric_id(token)
    if token_id is None:
        raise NotFound(f"no token '{token}' (see 'piecepay token list')", "token_not_found")
    address = inputs.server_url(url, "--url")
    valid = inputs.count(hours, "--hours", minimum=1, maximum=MAX_LINK_HOURS)
    assert valid is not None
    run = invocation(ctx)
    code = make_link(run.session(write=True), token_id, valid)
    signin = f"{address}/signin/{code}"
    run.sink.done({"id": token_id, "link": signin, "hours": valid}, signin)
