"""stats_overview's lending figures: credit granted and used, loans outstanding, NPL — in scope only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from creditvillage.dashboards.selectors import stats_overview
from creditvillage.lending import loans
from creditvillage.lending.models import Loan
from creditvillage.lending.tests.conftest import bank, product  # noqa: F401 - fixtures
from creditvillage.lending.tests.test_loans import _disbursed
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def test_lending_figures_in_the_overview(world: World, product: Any) -> None:  # noqa: F811
    loan = _disbursed(world, product, dt.date(2026, 1, 10))  # AAA line 500,000; loan 50,000
    loans.loan_default(loan=loan, overdue_days=120, on=dt.date(2026, 6, 1))
    township = stats_overview(actor=world.users["township_operator"], region="341502204000")
    assert township["credit_granted_yuan"] == 500_000
    assert township["credit_used_yuan"] == 50_000
    assert township["loans_outstanding_yuan"] == 50_000
    assert township["npl_yuan"] == 50_000
    assert township["npl_ratio"] == "1.0000"
    # Another township's operator counts nothing of it; the bank counts its consenting household.
    assert stats_overview(actor=world.users["other_township_operator"])["credit_granted_yuan"] == 0
    assert stats_overview(actor=world.users["bank_officer"])["loans_outstanding_yuan"] == 50_000
    Loan.objects.filter(pk=loan.pk).update(status="closed", principal_outstanding_fen=0)
    after = stats_overview(actor=world.users["township_operator"])
    assert (after["loans_outstanding_yuan"], after["npl_yuan"], after["npl_ratio"]) == (0, 0, None)
