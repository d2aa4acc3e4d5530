"""Reads of civility rounds and evaluations (乡风文明评议)."""

from __future__ import annotations

from decimal import Decimal


def household_civility_scores(region_prefix: str, year: int | None = None) -> dict[int, Decimal]:
    """The civility score (trimmed mean of the evaluators) per household under ``region_prefix``.

    From each village's latest *closed* round (of ``year`` when given). Households without a closed
    round are absent. The scoring engine reads this as the ``civility_score`` indicator; scope was
    checked by the caller that started the rating run.
    """
    return {}  # the civility issue fills this in from closed rounds


def household_civility_vetoes(region_prefix: str, year: int | None = None) -> dict[int, str]:
    """Households under ``region_prefix`` with a confirmed one-veto civility item → the written basis."""
    return {}  # the civility issue fills this in from closed rounds
