"""Risk sharing: the county risk compensation fund (风险补偿金) as a ledger, and the "4321" split."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, ValidationFailed
from creditvillage.core.scope import Actor, can
from creditvillage.lending.access import require_lend
from creditvillage.lending.models import FundMovement, Loan, LoanStatus, LossShare, MovementKind, RiskFund
from creditvillage.lending.services import _user

# 新型政银担 "4321": guarantor, provincial re-guarantor, bank, local government — in this order,
# which is also the order remainders are handed out in.
SPLIT_4321 = (("guarantor", 40), ("reguarantor", 30), ("bank", 20), ("government", 10))


def split_4321(loss_fen: int) -> dict[str, int]:
    """Shares of ``loss_fen`` in integer fen that sum exactly to it (largest remainder, ties by the order above)."""
    if loss_fen < 0:
        raise ValueError("loss must not be negative")
    floors = {name: loss_fen * pct // 100 for name, pct in SPLIT_4321}
    remainders = {name: loss_fen * pct % 100 for name, pct in SPLIT_4321}
    left = loss_fen - sum(floors.values())
    order = sorted(range(len(SPLIT_4321)), key=lambda i: (-remainders[SPLIT_4321[i][0]], i))
    for i in order[:left]:
        floors[SPLIT_4321[i][0]] += 1
    return floors


def _require_fund_admin(actor: Actor | None, fund: RiskFund) -> None:
    """The county's administrators (``configure``); ``None`` is the system (demo, scheduled jobs)."""
    if actor is None:
        return
    if not (actor.is_superuser or can(actor, Action.CONFIGURE, fund)):
        raise NotFound()


def fund_deposit(*, actor: Actor | None, fund: RiskFund, amount_fen: int, reason: str) -> FundMovement:
    """Money into the fund (注资): a ledger row and the balance, in one transaction."""
    _require_fund_admin(actor, fund)
    if amount_fen <= 0:
        raise ValidationFailed(_("金额须大于 0"), {"field": "amount"})
    with transaction.atomic():
        RiskFund.objects.filter(pk=fund.pk).update(balance_fen=F("balance_fen") + amount_fen)
        fund.refresh_from_db(fields=["balance_fen"])
        movement = FundMovement.objects.create(
            fund=fund,
            kind=MovementKind.DEPOSIT,
            amount_fen=amount_fen,
            balance_after_fen=fund.balance_fen,
            reason=reason[:200],
            created_by=_user(actor),
        )
        audit.record(
            actor=actor,
            action="lending.fund_deposit",
            target=movement,
            region_code=fund.region_id,
            changes={"balance_fen": [fund.balance_fen - amount_fen, fund.balance_fen]},
            reason=reason,
        )
    return movement


def fund_compensate(*, actor: Actor | None, fund: RiskFund, loan: Loan, reason: str = "") -> FundMovement:
    """Pay the bank's compensation for a defaulted loan: outstanding × ratio, at most the per-loan cap
    and never more than the balance (a conditional update); once per loan (unique index)."""
    _require_fund_admin(actor, fund)
    if loan.status != LoanStatus.DEFAULTED or not loan.region_code.startswith(fund.region_id[:6]):
        raise DomainError("not_compensable", _("只有本县违约贷款可申请风险补偿"))
    due = int(
        (Decimal(loan.principal_outstanding_fen) * fund.compensation_ratio_pct / 100).quantize(
            Decimal(1), rounding=ROUND_DOWN
        )
    )
    amount = min(due, fund.per_loan_cap_fen)
    if amount <= 0:
        raise DomainError("nothing_to_compensate", _("无可补偿的损失"))
    if FundMovement.objects.filter(loan=loan, kind=MovementKind.PAYOUT).exists():
        raise DomainError("already_compensated", _("该贷款已补偿"))
    with transaction.atomic():
        took = RiskFund.objects.filter(pk=fund.pk, balance_fen__gte=amount).update(
            balance_fen=F("balance_fen") - amount
        )
        if not took:
            raise DomainError("fund_insufficient", _("风险补偿金余额不足"))
        fund.refresh_from_db(fields=["balance_fen"])
        movement = FundMovement.objects.create(
            fund=fund,
            kind=MovementKind.PAYOUT,
            amount_fen=-amount,
            balance_after_fen=fund.balance_fen,
            loan=loan,
            reason=(reason or _("违约贷款风险补偿"))[:200],
            created_by=_user(actor),
        )
        audit.record(
            actor=actor,
            action="lending.fund_payout",
            target=movement,
            region_code=loan.region_code,
            changes={"balance_fen": [fund.balance_fen + amount, fund.balance_fen]},
            reason=reason or _("违约贷款风险补偿"),
        )
    return movement


def loss_share_record(*, actor: Actor | None, loan: Loan, loss_fen: int | None = None) -> LossShare:
    """Compute and record the 4321 split of a defaulted guaranteed loan's loss (the bank's officer)."""
    require_lend(actor, loan.bank, loan.region_code)
    if loan.status != LoanStatus.DEFAULTED or not loan.guaranteed:
        raise DomainError("not_guaranteed_default", _("只有违约的担保贷款适用4321分险"))
    loss = loan.principal_outstanding_fen if loss_fen is None else loss_fen
    if loss <= 0:
        raise ValidationFailed(_("损失金额须大于 0"), {"field": "loss"})
    parts = split_4321(loss)
    with transaction.atomic():
        if LossShare.objects.filter(loan=loan).exists():
            raise DomainError("already_shared", _("该贷款已分险"))
        share = LossShare.objects.create(
            loan=loan,
            region_code=loan.region_code,
            loss_fen=loss,
            guarantor_fen=parts["guarantor"],
            reguarantor_fen=parts["reguarantor"],
            bank_fen=parts["bank"],
            government_fen=parts["government"],
            created_by=_user(actor),
        )
        audit.record(
            actor=actor,
            action="lending.loss_share",
            target=share,
            region_code=loan.region_code,
            changes={k: [None, v] for k, v in parts.items()},
            reason=_("4321分险"),
        )
    return share


def fund_ledger_ok(fund: RiskFund) -> bool:
    """The ledger invariant: the balance equals the sum of the movements."""
    total = sum(FundMovement.objects.filter(fund=fund).values_list("amount_fen", flat=True))
    return total == RiskFund.objects.get(pk=fund.pk).balance_fen
