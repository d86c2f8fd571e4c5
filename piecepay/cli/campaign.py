"""piecepay campaign create|list|show|pause|resume|close"""

from typing import Annotated

import typer

from piecepay.cli import show
from piecepay.cli.lazy import new_app
from piecepay.cli.state import globals_of

app = new_app("Campaigns: jobs paid per piece.")


@app.command("create")
def create(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What the job is, e.g. 'Restaurant photos'.")],
    rate: Annotated[str, typer.Option(help="Pay per unit, an exact decimal (may be finer than a cent).")],
    unit: Annotated[str, typer.Option(help="What a piece is: photo, minute, word, row…")] = "piece",
    currency: Annotated[str, typer.Option(help="ISO 4217 code.")] = "USD",
    slug: Annotated[str | None, typer.Option(help="Short name (default: from the title).")] = None,
    step: Annotated[str, typer.Option(help="Smallest billable part of a piece (1 = whole pieces).")] = "1",
    budget: Annotated[str | None, typer.Option(help="Most the campaign may put in escrow.")] = None,
    max_pieces: Annotated[str | None, typer.Option(help="Piece limit over all contracts.")] = None,
    workers: Annotated[str | None, typer.Option(help="How many workers may take it.")] = None,
    milestone_cap: Annotated[str | None, typer.Option(help="Default cap of each milestone.")] = None,
    review_days: Annotated[str, typer.Option(help="Days a bill waits before auto-release (0-30).")] = "14",
    deadline: Annotated[str | None, typer.Option(help="Last day for bills, YYYY-MM-DD.")] = None,
) -> None:
    """Create a campaign."""
    from piecepay.registry import create_campaign

    view = create_campaign(
        globals_of(ctx).session(write=True),
        title,
        rate=rate,
        unit=unit,
        currency=currency,
        slug=slug,
        step=step,
        budget=budget,
        max_pieces=max_pieces,
        workers=workers,
        milestone_cap=milestone_cap,
        review_days=review_days,
        deadline=deadline,
    )
    show.one(ctx, "campaign", view)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List campaigns."""
    from piecepay.registry import list_campaigns

    show.many(ctx, "campaign", list_campaigns(globals_of(ctx).session(write=False)))


@app.command("show")
def show_(ctx: typer.Context, campaign: Annotated[str, typer.Argument(help="Campaign slug.")]) -> None:
    """Show a campaign's terms and its contracts."""
    from piecepay.registry import show_campaign

    view = show_campaign(globals_of(ctx).session(write=False), campaign)
    show.one(ctx, "campaign", view)
    if not globals_of(ctx).json and view["contracts"]:
        show.report(
            ctx, {"rows": [{**c, "contract": c["ref"]} for c in view["contracts"]], "totals": []}, "contract", "table"
        )


def _status(ctx: typer.Context, campaign: str, action: str) -> None:
    from piecepay.registry import set_campaign_status

    show.one(ctx, "campaign", set_campaign_status(globals_of(ctx).session(write=True), campaign, action))


@app.command("pause")
def pause(ctx: typer.Context, campaign: Annotated[str, typer.Argument()]) -> None:
    """Pause a campaign: no new bills, offers or top-ups until resumed."""
    _status(ctx, campaign, "pause")


@app.command("resume")
def resume(ctx: typer.Context, campaign: Annotated[str, typer.Argument()]) -> None:
    """Resume a paused campaign."""
    _status(ctx, campaign, "resume")


@app.command("close")
def close(ctx: typer.Context, campaign: Annotated[str, typer.Argument()]) -> None:
    """Close a campaign for good (its contracts must have ended; open offers are withdrawn)."""
    _status(ctx, campaign, "close")
