"""The demo's lending chapter (contract.md, Demo): the rural commercial bank serving 横塘岗乡.

* Products on both presets: 芡实贷 (tianchang, households), 兴村富农贷 (tianchang, entities and
  collectives), 拉丝贷 (shuangluan, 4A/5A households).
* The consents come from the foundation demo (about half of 周庵村; the ``household`` login has
  consented). A whole-village grant of 芡实贷 in 周庵村 by the ``bank_officer`` gives every
  consenting household with a final grade a line.
* Loans in every state: applied (the ``household`` login's, recommended by the village), applied,
  pending check (above the bank's checker amount), approved, rejected, withdrawn, disbursed with a
  repayment, overdue, defaulted (fed back to rating; 4321 split and a risk-fund payout), closed.
* The 金安区 risk compensation fund (50%, at most 50,000 yuan a loan) with two deposits by the
  county administrator, who also pays the defaulted loan's compensation (its 4321 split recorded).

Needs the rating step's final ratings; without any, it creates the products and nothing else.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from creditvillage.demo.data import JINAN, ZHOUAN
from creditvillage.lending import loans, risk, services
from creditvillage.lending.models import CreditLine, Loan, RiskFund
from creditvillage.regions.models import Region

if TYPE_CHECKING:
    from creditvillage.demo.steps import DemoContext

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def build(ctx: DemoContext) -> None:
    bank = ctx.banks[0]
    officer = ctx.users["bank_officer"]
    qianshi = services.product_create_from_preset(
        actor=None,
        bank=bank,
        preset="tianchang",
        code="qianshi",
        name="芡实贷",
        subject_types=["household"],
        description="面向A级及以上信用户的芡实种植与加工信用贷款（天长市差异化授信方案）。",
    )
    services.product_create_from_preset(
        actor=None,
        bank=bank,
        preset="tianchang",
        code="xingcun",
        name="兴村富农贷",
        subject_types=["entity", "collective"],
        term_months=36,
        description="面向信用新型农业经营主体与村集体经济组织的信用贷款。",
    )
    services.product_create_from_preset(
        actor=None,
        bank=bank,
        preset="shuangluan",
        code="lasi",
        name="拉丝贷",
        term_months=24,
        description="4A、5A 信用户额度提高至15万元、20万元，年利率4.75%（双滦区方案）。",
    )
    fund = RiskFund.objects.create(
        region=Region.objects.get(code=JINAN),
        name="金安区信用贷款风险补偿金",
        compensation_ratio_pct=50,
        per_loan_cap_fen=5_000_000,
    )
    county_admin = ctx.users.get("county_admin")
    risk.fund_deposit(actor=county_admin, fund=fund, amount_fen=500_000_000, reason="区财政年度注资")
    risk.fund_deposit(actor=county_admin, fund=fund, amount_fen=200_000_000, reason="市财政配套资金")
    grant, _preview = services.village_grant(actor=officer, product=qianshi, region_code=ZHOUAN)
    lines = list(CreditLine.objects.filter(village_grant=grant).order_by("subject_id"))
    ctx.notes["lending"] = {"village_grant": grant.pk, "lines": len(lines)}
    if not lines:
        return
    own_id = ctx.users["household"].role_assignments.get().household_id
    own = next((line for line in lines if line.household_id == own_id), None)
    others = [line for line in lines if line.household_id != own_id]
    if own is not None:
        loan = _apply(ctx, own, 50_000, "芡实种植扩种", as_user=ctx.users["household"])
        loans.loan_recommend(actor=ctx.users["village_operator"], loan=loan, note="该户守信，村两委推荐")
    used = _loans_in_every_state(ctx, others, fund)
    _performing_loans(ctx, [line for line in others if line.pk not in used][:PERFORMING])


# Most loans of a credit village are repaid on time: these make the book (and its NPL ratio) look
# like one, with applications and disbursements spread over the past year.
PERFORMING = 26
PURPOSES = ["芡实种植", "生猪养殖", "稻虾共作", "农机购置", "蔬菜大棚", "农家乐经营", "苗木种植", "水产养殖"]


def _performing_loans(ctx: DemoContext, lines: list[CreditLine]) -> None:
    officer = ctx.users["bank_officer"]
    today = timezone.localdate()
    for index, line in enumerate(lines):
        yuan = min(line.limit_fen // 100, (2 + index % 7) * 10_000)  # 20,000–80,000 yuan
        loan = _apply(ctx, line, yuan, PURPOSES[index % len(PURPOSES)])
        loans.loan_decide(actor=officer, loan=loan, approve=True, rate_pct=line.max_rate_pct - Decimal("0.3"))
        start = today - dt.timedelta(days=40 + (index * 37) % 300)
        loans.loan_disburse(actor=officer, loan=loan, on=start)
        _backdate(loan, start)
        for installment in loan.installments.filter(due_on__lt=today).order_by("seq"):
            loans.repayment_record(
                actor=officer,
                loan=loan,
                amount_fen=installment.principal_fen + installment.interest_fen,
                paid_on=installment.due_on,
                reference=f"DEMO-{loan.pk}-{installment.seq}",
                refresh_overdue=False,  # history: judged once all of it is in, below
            )
        loan.refresh_from_db()
        loans.loan_refresh_overdue(loan=loan, today=today)


def _backdate(loan: Loan, disbursed_on: dt.date) -> None:
    """Demo history: the application came a week before the money (the services stamp 'now')."""
    applied = timezone.make_aware(dt.datetime.combine(disbursed_on - dt.timedelta(days=7), dt.time(9, 30)))
    Loan.objects.filter(pk=loan.pk).update(applied_at=applied)


def _apply(ctx: DemoContext, line: CreditLine, yuan: int, purpose: str, as_user: Any = None) -> Loan:
    # The ``household`` login applies through the service; the other demo households have no
    # login (the contract's logins are all the demo has), so their applications are written directly.
    write = loans.loan_apply if as_user is not None else loans.application_create
    return write(
        actor=as_user,
        line=line,
        amount_fen=yuan * 100,
        term_months=12,
        purpose=purpose,
        id_document=_file("id.png"),
        certificate=_file("certificate.png"),
        idempotency_key=f"demo-{line.pk}",
    )


def _loans_in_every_state(ctx: DemoContext, lines: list[CreditLine], fund: RiskFund) -> set[int]:
    """One loan in each state; returns the lines used."""
    officer = ctx.users["bank_officer"]
    today = timezone.localdate()
    plan = [
        "applied",
        "pending_check",
        "approved",
        "rejected",
        "withdrawn",
        "disbursed",
        "overdue",
        "defaulted",
        "closed",
    ]
    # The largest line takes the application above the bank's checker amount (maker-checker).
    biggest = max(lines, key=lambda line: (line.limit_fen, -line.pk))
    others = [line for line in lines if line.pk != biggest.pk]
    lines = [*others[:1], biggest, *others[1:]]
    used: set[int] = set()
    for state, line in zip(plan, lines, strict=False):
        used.add(line.pk)
        yuan = line.limit_fen // 100 if state == "pending_check" else 30_000
        loan = _apply(ctx, line, min(yuan, line.limit_fen // 100), f"{state} 示例：生猪养殖")
        if state in ("applied", "withdrawn"):
            if state == "withdrawn":  # as the household would on its phone
                Loan.objects.filter(pk=loan.pk).update(status="withdrawn")
            continue
        if state == "rejected":
            loans.loan_decide(actor=officer, loan=loan, approve=False, reason="用途与产品不符")
            continue
        loans.loan_decide(actor=officer, loan=loan, approve=True, rate_pct=line.max_rate_pct - Decimal("0.2"))
        if state in ("pending_check", "approved"):
            continue
        start = {"disbursed": 20, "overdue": 75, "defaulted": 200, "closed": 60}[state]
        loans.loan_disburse(actor=officer, loan=loan, on=today - dt.timedelta(days=start))
        _backdate(loan, today - dt.timedelta(days=start))
        if state == "defaulted":
            Loan.objects.filter(pk=loan.pk).update(guaranteed=True)
        loan.refresh_from_db()
        first = loan.installments.order_by("seq").first()
        reference = f"DEMO-{loan.pk}"
        if state == "closed":
            total = sum(i.principal_fen + i.interest_fen for i in loan.installments.all())
            loans.repayment_record(
                actor=officer, loan=loan, amount_fen=total, paid_on=today - dt.timedelta(days=5), reference=reference
            )
            continue
        if state == "overdue" and first is not None:
            loans.repayment_record(
                actor=officer, loan=loan, amount_fen=first.interest_fen, paid_on=first.due_on, reference=reference
            )
        loans.loan_refresh_overdue(loan=loan, today=today)
        if state == "defaulted":
            loan.refresh_from_db()
            risk.loss_share_record(actor=officer, loan=loan)
            risk.fund_compensate(
                actor=ctx.users.get("county_admin"), fund=fund, loan=loan, reason="违约贷款代偿（示例）"
            )
    return used
