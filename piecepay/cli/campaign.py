"""piecepay campaign create|list|show|edit|pause|resume|close"""

from typing import Annotated

import typer

from piecepay.cli.commands import new_app
from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt, list_format

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
    revision_days: Annotated[
        str, typer.Option(help="Days a worker has to resubmit a bill sent back for revision (1-30).")
    ] = "7",
    reversal_days: Annotated[str, typer.Option(help="Days a rejection may be reversed (0-365).")] = "30",
    tier: Annotated[
        list[str] | None,
        typer.Option(
            metavar="N:RATE", help="From the N-th piece released in a period, RATE a piece (repeat for more tiers)."
        ),
    ] = None,
    tier_period: Annotated[
        str, typer.Option(help="The period tiers count pieces in: week (ISO, Monday first) or month.")
    ] = "month",
    fee: Annotated[
        str | None,
        typer.Option(metavar="PERCENT", help="Platform fee charged to the client on releases and bonuses: 20%."),
    ] = None,
    fee_min: Annotated[str | None, typer.Option(help="The least fee a release or bonus is charged.")] = None,
    minimum_wage: Annotated[
        str | None, typer.Option(metavar="AMOUNT/h", help="The wage an hour pay and makeup measure it against.")
    ] = None,
) -> None:
    """Create a campaign.

    Example: piecepay campaign create "Restaurant photos" --rate 5 --unit photo --budget 500
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.campaigns import CampaignTerms, create_campaign

    checked_title = inputs.title(title)
    terms = CampaignTerms(
        title=checked_title,
        slug=inputs.slug(slug if slug is not None else inputs.slug_from(checked_title)),
        unit=inputs.unit(unit),
        rate=inputs.parse_rate(rate),
        currency=inputs.currency(currency),
        step=inputs.parse_step(step),
        budget=inputs.amount(budget, "budget"),
        max_pieces=inputs.pieces(max_pieces, "max pieces"),
        workers=inputs.count(workers, "workers", maximum=inputs.MAX_WORKERS),
        milestone_cap=inputs.amount(milestone_cap, "milestone cap"),
        review_days=inputs.review_days(review_days),
        deadline=inputs.day(deadline, "deadline"),
        revision_days=inputs.revision_days(revision_days),
        reversal_days=inputs.reversal_days(reversal_days),
        tiers=inputs.tiers(tier) or (),
        tier_period=inputs.tier_period(tier_period),
        fee_percent=inputs.fee_percent(fee),
        fee_min=inputs.amount(fee_min, "--fee-min"),
        minimum_wage=inputs.hourly_wage(minimum_wage),
    )
    run = invocation(ctx)
    run.sink.record("campaign", documents.campaign(create_campaign(run.session(write=True), terms)))


@app.command("list")
def list_(ctx: typer.Context, format: FormatOpt = "table") -> None:
    """List campaigns.

    Example: piecepay campaign list --format csv
    """
    from piecepay.cli import documents
    from piecepay.operations.campaigns import campaigns

    fmt = list_format(format)
    run = invocation(ctx)
    run.sink.listing("campaign", [documents.campaign(c) for c in campaigns(run.session(write=False))], fmt=fmt)


@app.command("show")
def show(ctx: typer.Context, campaign: Annotated[str, typer.Argument(help="Campaign slug.")]) -> None:
    """Show a campaign's terms and its contracts.

    Example: piecepay campaign show photos
    """
    from piecepay.cli import documents
    from piecepay.operations.campaigns import campaign_detail

    run = invocation(ctx)
    document = documents.campaign_detail(campaign_detail(run.session(write=False), campaign))
    run.sink.record("campaign", document)
    if not run.json and document["contracts"]:
        rows = [{**c, "contract": c["ref"]} for c in document["contracts"]]
        run.sink.report({"rows": rows, "totals": []}, "contract", "table")


LIMIT = "; 'none' takes the limit off."


@app.command("edit")
def edit(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign slug.")],
    title: Annotated[str | None, typer.Option(help="What the job is.")] = None,
    deadline: Annotated[str | None, typer.Option(help="Last day for bills, YYYY-MM-DD" + LIMIT)] = None,
    budget: Annotated[str | None, typer.Option(help="Most the campaign may put in escrow" + LIMIT)] = None,
    milestone_cap: Annotated[str | None, typer.Option(help="Default cap of each new milestone" + LIMIT)] = None,
    review_days: Annotated[str | None, typer.Option(help="Days a bill waits before auto-release (0-30).")] = None,
    max_pieces: Annotated[str | None, typer.Option(help="Piece limit over all contracts" + LIMIT)] = None,
    workers: Annotated[str | None, typer.Option(help="How many workers may take it" + LIMIT)] = None,
    revision_days: Annotated[str | None, typer.Option(help="Days to resubmit a bill sent back (1-30).")] = None,
    reversal_days: Annotated[str | None, typer.Option(help="Days a rejection may be reversed (0-365).")] = None,
    minimum_wage: Annotated[
        str | None, typer.Option(metavar="AMOUNT/h", help="The wage an hour pay and makeup measure it against" + LIMIT)
    ] = None,
) -> None:
    """Change a campaign's terms, recorded with their old and new values in one entry.

    A new budget, piece limit or number of workers must hold what the campaign has already
    committed; a new deadline may not lie before today or before a bill already made.

    Example: piecepay campaign edit photos --budget 800 --deadline 2027-01-31
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.cli.render import FIELDS
    from piecepay.errors import BadInput
    from piecepay.operations.campaigns import CampaignEdit, edit_campaign

    changes = CampaignEdit(
        title=None if title is None else inputs.title(title),
        budget=inputs.limit(budget, lambda text: inputs.amount(text, "budget")),
        max_pieces=inputs.limit(max_pieces, lambda text: inputs.pieces(text, "max pieces")),
        workers=inputs.limit(workers, lambda text: inputs.count(text, "workers", maximum=inputs.MAX_WORKERS)),
        milestone_cap=inputs.limit(milestone_cap, lambda text: inputs.amount(text, "milestone cap")),
        review_days=None if review_days is None else inputs.review_days(review_days),
        deadline=inputs.limit(deadline, lambda text: inputs.day(text, "deadline")),
        revision_days=None if revision_days is None else inputs.revision_days(revision_days),
        reversal_days=None if reversal_days is None else inputs.reversal_days(reversal_days),
        minimum_wage=inputs.limit(minimum_wage, inputs.hourly_wage),
    )
    if changes == CampaignEdit():
        raise BadInput("nothing to change: give at least one term (see 'piecepay campaign edit --help')", "no_change")
    run = invocation(ctx)
    edited = edit_campaign(run.session(write=True), campaign, changes)
    document = documents.campaign_edited(edited)
    headline = edited.memo or f"campaign {document['id']} unchanged: every term given is as it was"
    run.sink.done(document, headline[0].upper() + headline[1:], FIELDS["campaign"])


def _status(ctx: typer.Context, campaign: str, action: str) -> None:
    from piecepay.cli import documents
    from piecepay.models import CampaignAction
    from piecepay.operations.campaigns import set_status

    run = invocation(ctx)
    changed = set_status(run.session(write=True), campaign, CampaignAction(action))
    run.sink.record("campaign", documents.campaign(changed))


@app.command("pause")
def pause(ctx: typer.Context, campaign: Annotated[str, typer.Argument()]) -> None:
    """Pause a campaign: no new bills, offers or top-ups until resumed.

    Example: piecepay campaign pause photos
    """
    _status(ctx, campaign, "pause")


@app.command("resume")
def resume(ctx: typer.Context, campaign: Annotated[str, typer.Argument()]) -> None:
    """Resume a paused campaign.

    Example: piecepay campaign resume photos
    """
    _status(ctx, campaign, "resume")


@app.command("close")
def close(ctx: typer.Context, campaign: Annotated[str, typer.Argument()]) -> None:
    """Close a campaign for good (its contracts must have ended; open offers are withdrawn).

    Example: piecepay campaign close photos
    """
    _status(ctx, campaign, "close")
