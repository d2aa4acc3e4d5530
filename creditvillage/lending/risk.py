"""Risk sharing: the county risk compensation fund (风险补偿金) as a ledger, and the "4321" split."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.scope import Actor, can
from creditvillage.lending.access import require_lend
from creditvillage.lending.models import FundMovement, Loan, LoanStatus, LossShare, MovementKind, RiskFund
from creditvillage.lending.services import _user

# 新型政银担 "4321": guarantor, provincial re-guarantor, bank, local government — in this order,
# which is also the order remainders are handed out in.
SPLIT_4321 = (("guarantor", 40), ("reguarantor", 30), ("bank", 20), ("government", 10))


class Conflict(DomainError):
    """Already done for this loan (409): a payout or a split is recorded once."""

    status = 409


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


def may_administer(actor: Actor | None, fund: RiskFund) -> bool:
    """The county's administrators (``configure`` over the fund's county) run the fund."""
    if actor is None or not actor.is_authenticated:
        return False
    return bool(actor.is_superuser or can(actor, Action.CONFIGURE, fund))


def administers_county(actor: Actor | None, county_code: str) -> bool:
    """``configure`` over the whole county (a grant at the county or above, for no bank or household)."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    return any(
        len(g.prefix) <= 6 and county_code.startswith(g.prefix) and g.household_id is None and g.bank_id is None
        for g in actor.grants_for(Action.CONFIGURE)
    )


def _require_fund_admin(actor: Actor | None, fund: RiskFund) -> None:
    """``None`` is the system (demo, scheduled jobs). Someone who may see the fund but not run it
    gets 403; anyone else the same 404 as for a missing fund."""
    if actor is None or may_administer(actor, fund):
        return
    from creditvillage.lending.selectors import funds

    if funds(actor=actor).filter(pk=fund.pk).exists():
        raise PermissionDenied()
    raise NotFound()


def compensation_due(fund: RiskFund, loan: Loan) -> int:
    """What the fund would pay for ``loan`` (fen): outstanding principal × ratio, rounded down to the
    fen, at most the per-loan cap. The balance is not considered here (``fund_compensate`` checks it)."""
    due = int(
        (Decimal(loan.principal_outstanding_fen) * fund.compensation_ratio_pct / 100).quantize(
            Decimal(1), rounding=ROUND_DOWN
        )
    )
    return max(min(due, fund.per_loan_cap_fen), 0)


def compensable(fund: RiskFund, loan: Loan) -> bool:
    """A defaulted loan of the fund's county."""
    return loan.status == LoanStatus.DEFAULTED and loan.region_code.startswith(fund.region_id[:6])


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
    if not compensable(fund, loan):
        raise DomainError("not_compensable", _("只有本县违约贷款可申请风险补偿"))
    amount = compensation_due(fund, loan)
    if amount <= 0:
        raise DomainError("nothing_to_compensate", _("无可补偿的损失"))
    if FundMovement.objects.filter(loan=loan, kind=MovementKind.PAYOUT).exists():
        raise Conflict("already_compensated", _("该贷款已补偿"))
    try:
        return _payout(actor=actor, fund=fund, loan=loan, amount=amount, reason=reason)
    except IntegrityError as exc:  # a concurrent payout for the same loan won (one_payout_per_loan)
        raise Conflict("already_compensated", _("该贷款已补偿")) from exc


def _payout(*, actor: Actor | None, fund: RiskFund, loan: Loan, amount: int, reason: str) -> FundMovement:
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
    """Compute and record the 4321 split of a defaulted guaranteed loan's loss (the bank's officer,
    or the county's administrators who run the risk fund)."""
    if actor is not None:
        if not (actor.is_authenticated and (actor.is_superuser or can(actor, Action.VIEW, loan))):
            raise NotFound()
        if not (actor.is_superuser or can(actor, Action.CONFIGURE, loan)):
            require_lend(actor, loan.bank, loan.region_code)
    if loan.status != LoanStatus.DEFAULTED or not loan.guaranteed:
        raise DomainError("not_guaranteed_default", _("只有违约的担保贷款适用4321分险"))
    loss = loan.principal_outstanding_fen if loss_fen is None else loss_fen
    if loss <= 0:
        raise ValidationFailed(_("损失金额须大于 0"), {"field": "loss"})
    parts = split_4321(loss)
    try:
        return _share(actor=actor, loan=loan, loss=loss, parts=parts)
    except IntegrityError as exc:  # a concurrent record for the same loan won (one-to-one)
        raise Conflict("already_shared", _("该贷款已分险")) from exc


def _share(*, actor: Actor | None, loan: Loan, loss: int, parts: dict[str, int]) -> LossShare:
    with transaction.atomic():
        if LossShare.objects.filter(loan=loan).exists():
            raise Conflict("already_shared", _("该贷款已分险"))
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
    total = FundMovement.objects.filter(fund=fund).aggregate(total=Sum("amount_fen"))["total"] or 0
    return bool(total == RiskFund.objects.get(pk=fund.pk).balance_fen)


def _check_terms(ratio_pct: Decimal, cap_fen: int) -> None:
    errors: dict[str, list[str]] = {}
    if not Decimal(0) < ratio_pct <= Decimal(100):
        errors["ratio"] = [_("补偿比例须大于 0、不超过 100%")]
    if cap_fen <= 0:
        errors["cap"] = [_("单笔补偿上限须大于 0")]
    if errors:
        raise ValidationFailed(_("请检查填写的内容"), {"fields": errors})


def fund_create(
    *, actor: Actor | None, county_code: str, name: str, ratio_pct: Decimal, cap_fen: int, reason: str
) -> RiskFund:
    """设立: a county's fund, by its administrators (``configure`` over the county); one per county."""
    from creditvillage.regions.models import Region

    county = Region.objects.filter(code=county_code, level="county").first()
    if county is None:
        raise NotFound()
    if actor is not None and not administers_county(actor, county.code):
        raise NotFound()
    _check_terms(ratio_pct, cap_fen)
    name = (name or "").strip()[:100] or _("%(county)s信用贷款风险补偿金") % {"county": county.name}
    with transaction.atomic():
        if RiskFund.objects.select_for_update().filter(region=county).exists():
            raise Conflict("fund_exists", _("该县（区）已设立风险补偿金"))
        fund = RiskFund.objects.create(
            region=county, name=name, compensation_ratio_pct=ratio_pct, per_loan_cap_fen=cap_fen
        )
        audit.record(
            actor=actor,
            action="lending.fund_created",
            target=fund,
            region_code=county.code,
            changes={"compensation_ratio_pct": [None, str(ratio_pct)], "per_loan_cap_fen": [None, cap_fen]},
            reason=reason,
        )
    return fund


def fund_set_terms(*, actor: Actor | None, fund: RiskFund, ratio_pct: Decimal, cap_fen: int, reason: str) -> RiskFund:
    """调整: the compensation ratio and per-loan cap, by the county's administrators, audited old → new.
    Payouts already made keep the terms they were computed with (the ledger is never rewritten)."""
    _require_fund_admin(actor, fund)
    _check_terms(ratio_pct, cap_fen)
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写调整原因"), {"fields": {"reason": [_("请填写调整原因")]}})
    with transaction.atomic():
        locked = RiskFund.objects.select_for_update().get(pk=fund.pk)
        changes: dict[str, list[object]] = {}
        if locked.compensation_ratio_pct != ratio_pct:
            changes["compensation_ratio_pct"] = [str(locked.compensation_ratio_pct), str(ratio_pct)]
        if locked.per_loan_cap_fen != cap_fen:
            changes["per_loan_cap_fen"] = [locked.per_loan_cap_fen, cap_fen]
        if not changes:
            return locked
        RiskFund.objects.filter(pk=fund.pk).update(compensation_ratio_pct=ratio_pct, per_loan_cap_fen=cap_fen)
        audit.record(
            actor=actor,
            action="lending.fund_terms_changed",
            target=locked,
            region_code=locked.region_id,
            changes=changes,
            reason=reason,
        )
    fund.refresh_from_db()
    return fund
