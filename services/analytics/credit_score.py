"""What a credit score and its factors mean for the person: bands and plain-word meanings."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.experian import codes
from integrations.models import RiskScore


@dataclass(frozen=True)
class ScoreBand:
    label: str
    low: int
    high: int


@dataclass(frozen=True)
class BandPosition:
    """Where a score sits on its model's published scale."""

    band: ScoreBand
    scale: tuple[ScoreBand, ...]
    next_band: ScoreBand | None  # None in the top band


def band_scale(model_indicator: str) -> tuple[ScoreBand, ...]:
    """The model's published bands, lowest first; empty for a model we know no bands of."""
    info = codes.risk_model_info(model_indicator)
    if not info.range_known:
        return ()
    family = codes.RISK_MODELS[info.indicator][3]
    return tuple(ScoreBand(label, low, high) for low, high, label in codes.SCORE_BANDS[family])


def band_position(score: RiskScore) -> BandPosition | None:
    if score.score is None:
        return None
    scale = band_scale(score.model_indicator)
    for index, band in enumerate(scale):
        if band.low <= score.score <= band.high:
            following = scale[index + 1] if index + 1 < len(scale) else None
            return BandPosition(band, scale, following)
    return None


def band_explanation(score: RiskScore) -> str:
    """One sentence for beside the score: its band's range and how far the next band is."""
    if score.score is None:
        return "The bureau could not compute a score from this file (too little recent history)."
    position = band_position(score)
    if position is None:
        return "This app knows no published bands for this scoring model."
    band = position.band
    if position.next_band is None:
        return f"{band.label} ({band.low}–{band.high}) is the model's top band."
    ahead = position.next_band
    return (
        f"{band.label} runs from {band.low} to {band.high}; {ahead.label} starts at "
        f"{ahead.low}, {ahead.low - score.score} points up."
    )


# Keyword rules over the factor text, most specific first. A rule applies when every one of its
# word groups has a word in the text. Keywords rather than codes, so that the FICO and the
# VantageScore wording of the same factor get the same meaning and an unlisted code still reads.
_FACTOR_MEANINGS: tuple[tuple[tuple[tuple[str, ...], ...], str], ...] = (
    (
        (("unknown (code",),),
        "The bureau sent a factor code this app does not know; it is shown as received.",
    ),
    (
        (("bankruptc", "public record"),),
        "A public record such as a bankruptcy stays on the file for years (a Chapter 7 for "
        "ten); meanwhile every account kept current limits its weight.",
    ),
    (
        (("collection",),),
        "Accounts in collection count against you: check they are yours, then paying or "
        "settling them helps.",
    ),
    (
        (("delinquen", "derogatory", "past due"),),
        "Late or missed payments are weighing on the score; every month paid on time from now "
        "on softens them.",
    ),
    (
        (("inquir",),),
        "Recent credit applications count against you; each hard inquiry stops counting after "
        "24 months, so apply only when you need to.",
    ),
    (
        (("opened", "opening", "too new", "oldest", "established", "credit history"),),
        "The file is young or has new accounts: time fixes this; avoid opening accounts you do "
        "not need and keep old ones open.",
    ),
    (
        (("high limits", "credit limit on open"),),
        "Your card limits are small, so the same balances weigh more; a higher limit on a card "
        "you already have helps.",
    ),
    (
        (("too few", "lack of", "no open", "no recent", "very few", "insufficient"),),
        "The file has little recent information of this kind; an account in good standing, "
        "used lightly, adds it over time.",
    ),
    (
        (("installment", "loan", "real estate", "mortgage"), ("balance", "paid down", "owed")),
        "Loan balances are still high against the amounts borrowed; this eases as the loans "
        "are paid down on schedule.",
    ),
    (
        (("balance", "owed", "limit", "available credit", "utiliz"),),
        "Card balances are high against their limits: paying them down before the statement "
        "closes (under 30% of the limit, ideally under 10%) helps quickly.",
    ),
    (
        (("too many",),),
        "Many accounts are open or carry balances; fewer accounts with balances help.",
    ),
)
_DEFAULT_MEANING = "A factor the scoring model reported; the bureau gives no more detail."


def factor_meaning(description: str) -> str:
    """What a score factor means for the person, in one line, from the factor's text."""
    text = description.lower()
    return next(
        (
            meaning
            for groups, meaning in _FACTOR_MEANINGS
            if all(any(word in text for word in group) for group in groups)
        ),
        _DEFAULT_MEANING,
    )
