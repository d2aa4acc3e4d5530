"""The demo's later chapters, one per app: ``creditvillage/<app>/demo.py`` defines ``build(ctx)``.

They run in this order inside :func:`creditvillage.demo.builder.demo_build`'s transaction, after
the regions, archives, banks, merchant and logins exist: the collection campaign, the civility
rounds, the scoring models, the rating cycles, then lending. A step must be deterministic.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from creditvillage.accounts.models import User
    from creditvillage.lending.models import Bank
    from creditvillage.merchants.models import Merchant

STEPS = [
    "creditvillage.collection.demo",
    "creditvillage.civility.demo",
    "creditvillage.scoring.demo",
    "creditvillage.rating.demo",
    "creditvillage.rating.adjust.demo",
    "creditvillage.rating.villages.demo",
    "creditvillage.lending.demo",
]


@dataclass
class DemoContext:
    users: dict[str, User]  # the contract's logins by name (``township_operator``, ``household`` …)
    banks: list[Bank]  # banks[0] serves 横塘岗乡
    merchant: Merchant
    village_codes: list[str]  # every demo village, sorted
    archived_village_codes: list[str]  # villages whose households exist
    seed: int
    notes: dict[str, Any] = field(default_factory=dict)  # what a step leaves for later steps


def run_steps(ctx: DemoContext) -> None:
    for name in STEPS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.build(ctx)
