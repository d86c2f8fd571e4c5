"""piecepay serve"""

from pathlib import Path
from typing import Annotated

import typer

from piecepay.cli.invocation import invocation

MAX_UPLOAD_MB = 1024


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="The address to listen on (put a TLS proxy in front for others).")] = (
        "127.0.0.1"
    ),
    port: Annotated[str, typer.Option(help="The port to listen on.")] = "8420",
    proofs: Annotated[
        str | None,
        typer.Option(metavar="DIR", help="Where uploaded proofs are kept (default: LEDGER.proofs beside a file)."),
    ] = None,
    upload_limit: Annotated[
        str, typer.Option("--upload-limit", metavar="MB", help="The largest proof file taken, in MB.")
    ] = "10",
) -> None:
    """Serve the ledger to its parties: a JSON API under /api and web pages, each request
    authorised by a token ('piecepay token create'); logs one line per request; stops
    cleanly on SIGTERM or Ctrl-C, finishing the requests under way.

    Example: piecepay serve --port 8420
    """
    from piecepay import inputs
    from piecepay.cli import output
    from piecepay.cli.invocation import default_db_path
    from piecepay.errors import BadInput

    listen_host = inputs.listen_host(host)
    listen_port = inputs.count(port, "--port", minimum=1, maximum=65535)
    limit_mb = inputs.count(upload_limit, "--upload-limit", minimum=1, maximum=MAX_UPLOAD_MB)
    assert listen_port is not None and limit_mb is not None
    try:
        import uvicorn

        from piecepay.server.app import Config, create_app
    except ImportError as exc:
        raise BadInput(
            f"serving needs the server extra ({exc.name} is missing): pip install 'piecepay[server]'", "extra_missing"
        ) from None
    run = invocation(ctx)
    where = run.db or default_db_path()
    run.session(write=True).close()  # the ledger exists and is at today's schema before anyone asks
    config = Config(where, _proofs_folder(where, proofs), limit_mb * 1024 * 1024)
    _log_to_stderr()
    shown = str(where) if isinstance(where, Path) else where.shown
    output.note(f"piecepay: serving {shown} on http://{listen_host}:{listen_port} (proofs in {config.proofs})")
    import signal

    # uvicorn finishes the requests under way on SIGTERM, then raises the signal again; this
    # handler takes that second one, so a clean stop ends with exit 0 and a last line
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run(
        create_app(config),
        host=listen_host,
        port=listen_port,
        access_log=False,  # the app logs each request itself, with its actor
        log_level="warning",
        proxy_headers=True,  # behind a TLS proxy on this host, the client and https are the proxy's word
        server_header=False,
        timeout_graceful_shutdown=30,
    )
    output.note("piecepay: stopped")


def _proofs_folder(where: object, given: str | None) -> Path:
    from piecepay.errors import BadInput
    from piecepay.locations import ServerLedger
    from piecepay.text import checked_text

    if given is not None:
        folder = Path(checked_text(given, "--proofs", max_length=4096, code="bad_path"))
        if folder.exists() and not folder.is_dir():
            raise BadInput(f"--proofs {given} is not a folder", "not_a_folder")
    elif isinstance(where, ServerLedger):
        import platformdirs

        folder = Path(platformdirs.user_data_dir("piecepay", appauthor=False)) / "proofs"
    else:
        assert isinstance(where, Path)
        folder = where.with_name(where.name + ".proofs")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _log_to_stderr() -> None:
    import logging
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("piecepay.server")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
