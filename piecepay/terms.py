"""Validated terms for new campaigns and workers (pydantic, loaded only when creating)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from piecepay.errors import BadInput

SLUG = r"^[a-z0-9][a-z0-9-]{0,39}$"
HANDLE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"


class CampaignTerms(BaseModel):
    """A campaign's terms after parsing; money already in minor units."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=200)]
    slug: Annotated[str, Field(pattern=SLUG)]
    unit: Annotated[str, Field(pattern=r"^[a-z][a-z -]{0,29}$")]
    step: Decimal
    rate: Decimal
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    budget_minor: Annotated[int, Field(gt=0)] | None = None
    max_pieces_milli: Annotated[int, Field(gt=0)] | None = None
    workers: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    milestone_cap_minor: Annotated[int, Field(gt=0)] | None = None
    review_days: Annotated[int, Field(ge=0, le=30)] = 14
    deadline: date | None = None

    @field_validator("title")
    @classmethod
    def _printable(cls, value: str) -> str:
        value = value.strip()
        if not value or any(ch in value for ch in "\r\n\t"):
            raise ValueError("title must be one non-empty line")
        return value


class WorkerProfile(BaseModel):
    """A worker as added: a handle and optional name and contact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    handle: Annotated[str, Field(pattern=HANDLE)]
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)] | None = None


def slug_from(title: str) -> str:
    """A short lowercase slug from a title: 'Restaurant photos' -> 'restaurant-photos'."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-")
    return slug or "campaign"


def validated(model: type[BaseModel], what: str, **values: Any) -> Any:
    """Build ``model`` or raise BadInput naming the first field that is wrong."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or what
        shown = first.get("input")
        raise BadInput(f"{what} {field} {shown!r} is not valid: {first['msg']}", f"bad_{field}") from None
