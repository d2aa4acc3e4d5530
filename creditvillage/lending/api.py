"""Lending API: the credit-policy quote, products, consents, the bank API (pre-approved lists,
signed grade attestations, whole-village grants, applications, repayments) and model validation.

Every bank endpoint is scoped: a bank outside a region, or without the household's consent, gets
the same 404 as for a record that does not exist. Writes that can be retried take an
``Idempotency-Key`` header (reliability C3). Money in the API is yuan as a decimal string
(``"50000.00"``) or an integer where the contract says so; never a float.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core.api import AUTHED_GET, AUTHED_POST, errors
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.money import fen_to_yuan, yuan_to_fen
from creditvillage.lending import attest, loans, risk, selectors, services, uploads, validation
from creditvillage.lending.models import Bank, CreditLine, Loan
from creditvillage.lending.policies import PRESETS, quote
from creditvillage.registry.models import Household

router = Router(tags=["lending"])

YUAN = r"^\d{1,12}(\.\d{1,2})?$"
RATE = r"^\d{1,2}(\.\d{1,4})?$"
KEY = Field("", max_length=128, pattern=r"^[A-Za-z0-9._:-]*$")


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else str(fen_to_yuan(fen))


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 128:
        raise ValidationFailed("Idempotency-Key 过长", {"field": "Idempotency-Key"})
    return key


# ------------------------------------------------------------------------------------------------
# Quote (contract.md) and products
# ------------------------------------------------------------------------------------------------


class QuoteFilters(Schema):
    subject_type: Literal["household", "entity", "collective"]
    grade: str = Field(..., max_length=8, pattern=r"^[A-Za-z0-9]{1,8}$")
    base_rate: str = Field("3.45", pattern=RATE, description="基准利率（%），如一年期LPR 3.45")


class QuoteOut(Schema):
    max_line_yuan: int
    max_rate_pct: str | None


@router.get("/credit-policies/{preset}/quote", response={200: QuoteOut, **errors(*AUTHED_GET, 404)})
def credit_policy_quote(request: AuthedRequest, preset: str, filters: Query[QuoteFilters]) -> dict[str, Any]:
    """A preset's maximum line and rate cap for a subject type and grade (0 and null: no line)."""
    policy = PRESETS.get(preset)
    if policy is None:
        raise NotFound()
    try:
        base = Decimal(filters.base_rate)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already refuses junk
        raise ValidationFailed("基准利率不正确", {"field": "base_rate"}) from exc
    got = quote(policy, filters.subject_type, filters.grade.upper(), base)
    return {"max_line_yuan": got.max_line_yuan, "max_rate_pct": _rate(got.max_rate_pct)}


class TierOut(Schema):
    subject_type: str
    grade: str
    max_line_yuan: str
    max_rate_pct: str


class ProductOut(Schema):
    id: int
    bank_id: int
    bank_name: str
    code: str
    name: str
    preset: str
    base_rate_pct: str
    term_months: int
    materials: list[str]
    tiers: list[TierOut]


def _product(product: Any) -> dict[str, Any]:
    return {
        "id": product.pk,
        "bank_id": product.bank_id,
        "bank_name": product.bank.name,
        "code": product.code,
        "name": product.name,
        "preset": product.preset,
        "base_rate_pct": _rate(product.base_rate_pct),
        "term_months": product.term_months,
        "materials": list(product.materials),
        "tiers": [
            {"subject_type": kind, "grade": grade, "max_line_yuan": _yuan(line), "max_rate_pct": _rate(cap)}
            for (kind, grade), (line, cap) in services.product_terms(product).items()
        ],
    }


@router.get("/lending/products", response={200: list[ProductOut], **errors(*AUTHED_GET)})
def product_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """Every bank's active credit products with their grade tiers (published terms)."""
    return [_product(p) for p in selectors.products(actor=request.user)]


# ------------------------------------------------------------------------------------------------
# Consent (授权) and the log of bank reads
# ------------------------------------------------------------------------------------------------


class ConsentIn(Schema):
    household_id: int
    bank_id: int
    purpose: str = Field("信用评定结果查询与授信审批", min_length=1, max_length=100)


class ConsentOut(Schema):
    id: int
    household_id: int
    bank_id: int
    bank_name: str
    purpose: str
    channel: str
    granted_at: dt.datetime
    revoked_at: dt.datetime | None


def _consent(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "household_id": c.household_id,
        "bank_id": c.bank_id,
        "bank_name": c.bank.name,
        "purpose": c.purpose,
        "channel": c.channel,
        "granted_at": c.granted_at,
        "revoked_at": c.revoked_at,
    }


@router.get("/lending/consents", response={200: list[ConsentOut], **errors(*AUTHED_GET)})
def consent_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """Consents the caller may see (a household: its own; a bank: those naming it; the village: its households')."""
    return [_consent(c) for c in selectors.consents(actor=request.user)[:500]]


@router.post("/lending/consents", response={201: ConsentOut, **errors(*AUTHED_POST, 404, 409)})
def consent_create(request: AuthedRequest, payload: ConsentIn) -> Status[Any]:
    """A household consents on its phone to a named bank for a purpose (paper consents: the village's page)."""
    household = _household(request, payload.household_id)
    bank = Bank.objects.filter(pk=payload.bank_id).first()
    if bank is None:
        raise NotFound()
    consent = services.consent_grant(actor=request.user, household=household, bank=bank, purpose=payload.purpose)
    return Status(201, _consent(consent))


@router.post("/lending/consents/{consent_id}/revoke", response={200: ConsentOut, **errors(*AUTHED_POST, 404, 409)})
def consent_revoke(request: AuthedRequest, consent_id: int) -> dict[str, Any]:
    """Revoke a consent; from now on the bank sees nothing of the household."""
    consent = selectors.access_consent(request.user, consent_id)
    return _consent(services.consent_revoke(actor=request.user, consent=consent))


def _household(request: AuthedRequest, pk: int) -> Household:
    from creditvillage.core.scope import access

    return access(Household.objects.all(), request.user, pk)


class BankReadOut(Schema):
    at: dt.datetime
    bank_user: str
    what: str
    channel: str


@router.get(
    "/lending/households/{household_id}/bank-reads", response={200: list[BankReadOut], **errors(*AUTHED_GET, 404)}
)
def bank_read_log(request: AuthedRequest, household_id: int) -> list[dict[str, Any]]:
    """Which bank officer read this household's data, when: for the household itself and auditors."""
    return [
        {
            "at": e.created_at,
            "bank_user": e.actor_label,
            "what": str(e.changes.get("what", e.action)),
            "channel": e.channel,
        }
        for e in selectors.bank_reads(actor=request.user, household_id=household_id)
    ]


# ------------------------------------------------------------------------------------------------
# Bank API: pre-approved list, attestations, whole-village grant
# ------------------------------------------------------------------------------------------------


class RegionFilter(Schema):
    region: str | None = Field(None, max_length=12, pattern=r"^\d{2,12}$")
    page: int = Field(1, ge=1, le=100_000)


class LineOut(Schema):
    id: int
    bank_id: int
    product_id: int
    subject_type: str
    subject_id: int
    subject_name: str
    region_code: str
    grade: str
    limit_yuan: str
    used_yuan: str
    available_yuan: str
    max_rate_pct: str
    status: str


class LinePage(Schema):
    count: int
    items: list[LineOut]


def _line(line: CreditLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "bank_id": line.bank_id,
        "product_id": line.product_id,
        "subject_type": line.subject_type,
        "subject_id": line.subject_id,
        "subject_name": line.subject_name,
        "region_code": line.region_code,
        "grade": line.grade,
        "limit_yuan": _yuan(line.limit_fen),
        "used_yuan": _yuan(line.used_fen),
        "available_yuan": _yuan(line.available_fen),
        "max_rate_pct": _rate(line.max_rate_pct),
        "status": line.status,
    }


PAGE = 100


@router.get("/lending/pre-approved", response={200: LinePage, **errors(*AUTHED_GET, 403, 404)})
def pre_approved_list(request: AuthedRequest, filters: Query[RegionFilter]) -> dict[str, Any]:
    """The bank's consented pre-approved list (预授信名单): live lines, 100 a page."""
    queryset = selectors.pre_approved(actor=request.user, region=filters.region)
    start = (filters.page - 1) * PAGE
    page = list(queryset[start : start + PAGE])
    for line in page:
        if line.household_id:
            selectors.log_bank_read(
                actor=request.user,
                household=Household(pk=line.household_id, region_id=line.region_code),
                what="pre-approved",
            )
    return {"count": queryset.count(), "items": [_line(x) for x in page]}


class AttestationOut(Schema):
    payload: dict[str, Any]
    signature: str
    alg: str


@router.get(
    "/lending/households/{household_id}/attestation", response={200: AttestationOut, **errors(*AUTHED_GET, 403, 404)}
)
def grade_attestation(request: AuthedRequest, household_id: int) -> dict[str, Any]:
    """A signed statement of the household's current final grade for the caller's bank (under consent)."""
    return selectors.attestation(actor=request.user, household_id=household_id)


class PublicKeyOut(Schema):
    alg: str
    key_id: str
    public_key: str


@router.get("/lending/attestations/public-key", response={200: PublicKeyOut, **errors(*AUTHED_GET)})
def attestation_public_key(request: AuthedRequest) -> dict[str, str]:
    """The Ed25519 public key (base64url, raw 32 bytes) that verifies grade attestations offline."""
    return attest.public_key_info()


class GrantIn(Schema):
    product_id: int


class CandidateOut(Schema):
    subject_type: str
    subject_id: int
    name: str
    region_code: str
    grade: str
    limit_yuan: str
    max_rate_pct: str


class PreviewOut(Schema):
    region_code: str
    count: int
    total_yuan: str
    items: list[CandidateOut]


class GrantOut(Schema):
    grant_id: int
    region_code: str
    lines_created: int
    total_yuan: str


@router.get("/lending/villages/{code}/grant-preview", response={200: PreviewOut, **errors(*AUTHED_GET, 403, 404)})
def village_grant_preview(request: AuthedRequest, code: str, payload: Query[GrantIn]) -> dict[str, Any]:
    """整村授信 preview: who would get a line now and the total (what the grant would create)."""
    product = selectors.access_product(request.user, payload.product_id)
    preview = services.village_grant_preview(actor=request.user, product=product, region_code=_village(code))
    return {
        "region_code": preview.region_code,
        "count": preview.count,
        "total_yuan": _yuan(preview.total_fen),
        "items": [
            {
                "subject_type": c.subject_type,
                "subject_id": c.subject_id,
                "name": c.name,
                "region_code": c.region_code,
                "grade": c.grade,
                "limit_yuan": _yuan(c.limit_fen),
                "max_rate_pct": _rate(c.max_rate_pct),
            }
            for c in preview.candidates
        ],
    }


def _village(code: str) -> str:
    if len(code) != 12 or not code.isdigit():
        raise NotFound()
    return code


@router.post("/lending/villages/{code}/grant", response={201: GrantOut, **errors(*AUTHED_POST, 404, 409)})
def village_grant(request: AuthedRequest, code: str, payload: GrantIn) -> Status[Any]:
    """整村授信: a line for every eligible consenting subject of the village (``Idempotency-Key``)."""
    product = selectors.access_product(request.user, payload.product_id)
    region = _village(code)

    def effect() -> tuple[int, dict[str, Any]]:
        grant, _ = services.village_grant(actor=request.user, product=product, region_code=region)
        return 201, {
            "grant_id": grant.pk,
            "region_code": grant.region_code,
            "lines_created": grant.lines_created,
            "total_yuan": _yuan(grant.total_fen),
        }

    return Status(
        *services.idempotent(
            actor=request.user,
            scope="village_grant",
            key=_key(request),
            payload={"region": region, "product": product.pk},
            effect=effect,
        )
    )


# ------------------------------------------------------------------------------------------------
# Loans: applications and decisions
# ------------------------------------------------------------------------------------------------


class LoanFilters(RegionFilter):
    status: str = Field("", max_length=16, pattern=r"^[a-z_]*$")


class LoanOut(Schema):
    id: int
    bank_id: int
    household_id: int
    head_name: str
    region_code: str
    status: str
    requested_yuan: str
    requested_term_months: int
    purpose: str
    recommended: bool
    amount_yuan: str | None
    rate_pct: str | None
    term_months: int | None
    reject_reason: str
    principal_outstanding_yuan: str
    overdue_days: int
    applied_at: dt.datetime


class LoanPage(Schema):
    count: int
    items: list[LoanOut]


def _loan(loan: Loan) -> dict[str, Any]:
    return {
        "id": loan.pk,
        "bank_id": loan.bank_id,
        "household_id": loan.household_id,
        "head_name": loan.household.head_name,
        "region_code": loan.region_code,
        "status": loan.status,
        "requested_yuan": _yuan(loan.requested_fen),
        "requested_term_months": loan.requested_term_months,
        "purpose": loan.purpose,
        "recommended": loan.recommended_at is not None,
        "amount_yuan": _yuan(loan.amount_fen),
        "rate_pct": _rate(loan.rate_pct),
        "term_months": loan.term_months,
        "reject_reason": loan.reject_reason,
        "principal_outstanding_yuan": _yuan(loan.principal_outstanding_fen),
        "overdue_days": loan.overdue_days,
        "applied_at": loan.applied_at,
    }


@router.get("/lending/loans", response={200: LoanPage, **errors(*AUTHED_GET, 404)})
def loan_list(request: AuthedRequest, filters: Query[LoanFilters]) -> dict[str, Any]:
    """The pipeline the caller may see: a bank's (consented), a village's, a household's own."""
    queryset = selectors.loans(actor=request.user, region=filters.region, status=filters.status)
    start = (filters.page - 1) * PAGE
    page = list(queryset[start : start + PAGE])
    for loan in page:
        selectors.log_bank_read(actor=request.user, household=loan.household, what="loan")
    return {"count": queryset.count(), "items": [_loan(x) for x in page]}


@router.get("/lending/loans/{loan_id}", response={200: LoanOut, **errors(*AUTHED_GET, 404)})
def loan_detail(request: AuthedRequest, loan_id: int) -> dict[str, Any]:
    loan = selectors.access_loan(request.user, loan_id)
    selectors.log_bank_read(actor=request.user, household=loan.household, what="loan")
    return _loan(loan)


@router.post("/lending/loans", response={201: LoanOut, **errors(*AUTHED_POST, 404, 409)})
def loan_apply(
    request: AuthedRequest,
    line_id: Form[int],
    amount_yuan: Form[str],
    term_months: Form[int],
    purpose: Form[str],
    id_document: File[UploadedFile],
    certificate: File[UploadedFile],
) -> Status[Any]:
    """A household applies against its line (multipart, the two materials; ``Idempotency-Key``)."""
    line = selectors.access_line(request.user, line_id)
    loan = loans.loan_apply(
        actor=request.user,
        line=line,
        amount_fen=_fen(amount_yuan),
        term_months=term_months,
        purpose=purpose[:200],
        id_document=id_document,
        certificate=certificate,
        idempotency_key=_key(request),
    )
    return Status(201, _loan(loan))


def _fen(text: str) -> int:
    try:
        return yuan_to_fen(text)
    except ValueError as exc:
        raise ValidationFailed("金额不正确", {"field": "amount"}) from exc


class DecisionIn(Schema):
    approve: bool
    amount_yuan: str | None = Field(None, pattern=YUAN)
    rate_pct: str | None = Field(None, pattern=RATE)
    term_months: int | None = Field(None, ge=1, le=60)
    reason: str = Field("", max_length=200)


@router.post("/lending/loans/{loan_id}/decision", response={200: LoanOut, **errors(*AUTHED_POST, 404, 409)})
def loan_decision(request: AuthedRequest, loan_id: int, payload: DecisionIn) -> dict[str, Any]:
    """The bank officer approves (amount, rate within the cap, term) or rejects with a reason."""
    loan = selectors.access_loan(request.user, loan_id)
    loans.loan_decide(
        actor=request.user,
        loan=loan,
        approve=payload.approve,
        amount_fen=_fen(payload.amount_yuan) if payload.amount_yuan else None,
        rate_pct=Decimal(payload.rate_pct) if payload.rate_pct else None,
        term_months=payload.term_months,
        reason=payload.reason,
    )
    return _loan(selectors.access_loan(request.user, loan_id))


class CheckIn(Schema):
    approve: bool
    reason: str = Field("", max_length=200)


@router.post("/lending/loans/{loan_id}/check", response={200: LoanOut, **errors(*AUTHED_POST, 404, 409)})
def loan_check(request: AuthedRequest, loan_id: int, payload: CheckIn) -> dict[str, Any]:
    """The second officer's check of an approval above the bank's amount (never the same officer)."""
    loan = selectors.access_loan(request.user, loan_id)
    loans.loan_check(actor=request.user, loan=loan, approve=payload.approve, reason=payload.reason)
    return _loan(selectors.access_loan(request.user, loan_id))


class DisburseIn(Schema):
    on: dt.date | None = None


@router.post("/lending/loans/{loan_id}/disburse", response={200: LoanOut, **errors(*AUTHED_POST, 404, 409)})
def loan_disburse(request: AuthedRequest, loan_id: int, payload: DisburseIn) -> dict[str, Any]:
    loan = selectors.access_loan(request.user, loan_id)
    loans.loan_disburse(actor=request.user, loan=loan, on=payload.on)
    return _loan(selectors.access_loan(request.user, loan_id))


# ------------------------------------------------------------------------------------------------
# Repayments (bulk, idempotent) and model validation
# ------------------------------------------------------------------------------------------------


class RepaymentIn(Schema):
    loan_id: int
    amount_yuan: str = Field(..., pattern=YUAN)
    paid_on: dt.date
    reference: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$")


class RepaymentsIn(Schema):
    items: list[RepaymentIn] = Field(..., min_length=1, max_length=1000)


class RepaymentsOut(Schema):
    applied: int
    duplicates: int
    errors: list[dict[str, Any]]


@router.post("/lending/repayments", response={200: RepaymentsOut, **errors(*AUTHED_POST, 404)})
def repayments_upload(request: AuthedRequest, payload: RepaymentsIn) -> Status[Any]:
    """Repayment outcomes from the bank, by its transaction numbers (each applied once; ``Idempotency-Key``)."""
    rows = [item.model_dump(mode="json") for item in payload.items]

    def effect() -> tuple[int, dict[str, Any]]:
        return 200, uploads.apply_repayments(actor=request.user, rows=rows, source="api")

    status, body = services.idempotent(
        actor=request.user, scope="repayments", key=_key(request), payload=rows, effect=effect
    )
    return Status(status, body)


@router.post("/lending/repayments/upload", response={200: RepaymentsOut, **errors(*AUTHED_POST, 404)})
def repayments_upload_xlsx(request: AuthedRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """The same from an Excel sheet: 贷款编号, 还款金额（元）, 还款日期, 流水号 (one header row)."""
    return uploads.apply_repayments(actor=request.user, rows=uploads.read_xlsx(file), source="xlsx")


class ValidationFilters(Schema):
    region: str = Field(..., max_length=12, pattern=r"^\d{2,12}$")
    year: int | None = Field(None, ge=2000, le=2100)


@router.get("/lending/validation", response={200: dict[str, Any], **errors(*AUTHED_GET, 404)})
def model_validation(request: AuthedRequest, filters: Query[ValidationFilters]) -> dict[str, Any]:
    """Default rate by grade, KS and AUC of the score against defaults, PSI against the previous cycle."""
    return validation.validation_report(actor=request.user, region=filters.region, year=filters.year)


# ------------------------------------------------------------------------------------------------
# Risk sharing: the county risk compensation fund (风险补偿金) and the 4321 loss shares
# ------------------------------------------------------------------------------------------------


class FundOut(Schema):
    id: int
    region_code: str
    name: str
    balance_yuan: str
    compensation_ratio_pct: str
    per_loan_cap_yuan: str


class MovementOut(Schema):
    id: int
    fund_id: int
    kind: str
    amount_yuan: str = Field(..., description="signed: + deposit, − payout")
    balance_after_yuan: str
    loan_id: int | None
    reason: str
    created_by: str | None
    created_at: dt.datetime


class FundDetailOut(FundOut):
    ledger_ok: bool
    ledger_count: int
    ledger: list[MovementOut]


def _fund(fund: Any) -> dict[str, Any]:
    return {
        "id": fund.pk,
        "region_code": fund.region_id,
        "name": fund.name,
        "balance_yuan": _yuan(fund.balance_fen),
        "compensation_ratio_pct": _rate(fund.compensation_ratio_pct),
        "per_loan_cap_yuan": _yuan(fund.per_loan_cap_fen),
    }


def _movement(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "fund_id": m.fund_id,
        "kind": m.kind,
        "amount_yuan": _yuan(m.amount_fen),
        "balance_after_yuan": _yuan(m.balance_after_fen),
        "loan_id": m.loan_id,
        "reason": m.reason,
        "created_by": m.created_by.username if m.created_by else None,
        "created_at": m.created_at,
    }


@router.get("/lending/funds", response={200: list[FundOut], **errors(*AUTHED_GET)})
def fund_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """The risk compensation funds the caller may see (its county's; banks see them too)."""
    return [_fund(f) for f in selectors.funds(actor=request.user)]


class PageFilter(Schema):
    page: int = Field(1, ge=1, le=100_000)


@router.get("/lending/funds/{fund_id}", response={200: FundDetailOut, **errors(*AUTHED_GET, 404)})
def fund_detail(request: AuthedRequest, fund_id: int, filters: Query[PageFilter]) -> dict[str, Any]:
    """A fund with its ledger, newest first, 100 a page (a bank: deposits and its own loans' payouts)."""
    fund = selectors.access_fund(request.user, fund_id)
    ledger = selectors.fund_ledger(actor=request.user, fund=fund)
    start = (filters.page - 1) * PAGE
    return {
        **_fund(fund),
        "ledger_ok": risk.fund_ledger_ok(fund),
        "ledger_count": ledger.count(),
        "ledger": [_movement(m) for m in ledger[start : start + PAGE]],
    }


class DepositIn(Schema):
    amount_yuan: str = Field(..., pattern=YUAN)
    reason: str = Field(..., min_length=1, max_length=200)


@router.post("/lending/funds/{fund_id}/deposits", response={201: MovementOut, **errors(*AUTHED_POST, 404)})
def fund_deposit(request: AuthedRequest, fund_id: int, payload: DepositIn) -> Status[Any]:
    """注资 by the county's administrators (``Idempotency-Key``: a retried request deposits once)."""
    fund = selectors.access_fund(request.user, fund_id)
    amount = _fen(payload.amount_yuan)

    def effect() -> tuple[int, dict[str, Any]]:
        movement = risk.fund_deposit(actor=request.user, fund=fund, amount_fen=amount, reason=payload.reason)
        return 201, _movement(movement)

    return Status(
        *services.idempotent(
            actor=request.user,
            scope="fund_deposit",
            key=_key(request),
            payload={"fund": fund.pk, "amount": amount, "reason": payload.reason},
            effect=effect,
        )
    )


class CompensateIn(Schema):
    reason: str = Field("", max_length=200)


class SplitOut(Schema):
    loss_yuan: str
    guarantor_yuan: str
    reguarantor_yuan: str
    bank_yuan: str
    government_yuan: str
    recorded: bool


class CompensationOut(Schema):
    loan_id: int
    movement: MovementOut
    split: SplitOut | None = Field(None, description="the 4321 split of a guaranteed loan (recorded or computed)")


def _split(loan: Loan) -> dict[str, Any] | None:
    if not loan.guaranteed:
        return None
    share = selectors.loan_loss_share(loan)
    if share is not None:
        parts = {
            "guarantor": share.guarantor_fen,
            "reguarantor": share.reguarantor_fen,
            "bank": share.bank_fen,
            "government": share.government_fen,
        }
        loss = share.loss_fen
    else:
        loss = loan.principal_outstanding_fen
        parts = risk.split_4321(loss)
    out: dict[str, Any] = {"loss_yuan": _yuan(loss), "recorded": share is not None}
    return out | {f"{k}_yuan": _yuan(v) for k, v in parts.items()}


@router.post("/lending/loans/{loan_id}/compensate", response={201: CompensationOut, **errors(*AUTHED_POST, 404, 409)})
def loan_compensate(request: AuthedRequest, loan_id: int, payload: CompensateIn) -> Status[Any]:
    """The county fund pays its compensation for a defaulted loan: outstanding × ratio, at most the
    per-loan cap and the balance; once per loan (``Idempotency-Key``: a retry gets the same answer)."""
    loan = selectors.access_loan(request.user, loan_id)
    fund = selectors.fund_for_loan(request.user, loan)
    if fund is None:
        raise NotFound()

    def effect() -> tuple[int, dict[str, Any]]:
        movement = risk.fund_compensate(actor=request.user, fund=fund, loan=loan, reason=payload.reason)
        return 201, {"loan_id": loan.pk, "movement": _movement(movement), "split": _split(loan)}

    return Status(
        *services.idempotent(
            actor=request.user,
            scope="fund_compensate",
            key=_key(request),
            payload={"loan": loan.pk, "reason": payload.reason},
            effect=effect,
        )
    )


class LossShareOut(Schema):
    id: int
    loan_id: int
    bank_id: int
    region_code: str
    loss_yuan: str
    guarantor_yuan: str
    reguarantor_yuan: str
    bank_yuan: str
    government_yuan: str
    created_at: dt.datetime


class LossSharePage(Schema):
    count: int
    items: list[LossShareOut]


@router.get("/lending/loss-shares", response={200: LossSharePage, **errors(*AUTHED_GET, 404)})
def loss_share_list(request: AuthedRequest, filters: Query[RegionFilter]) -> dict[str, Any]:
    """The recorded 4321 splits the caller may see (a bank: its own loans under consent), 100 a page."""
    queryset = selectors.loss_shares(actor=request.user, region=filters.region)
    start = (filters.page - 1) * PAGE
    return {
        "count": queryset.count(),
        "items": [
            {
                "id": s.pk,
                "loan_id": s.loan_id,
                "bank_id": s.loan.bank_id,
                "region_code": s.region_code,
                "loss_yuan": _yuan(s.loss_fen),
                "guarantor_yuan": _yuan(s.guarantor_fen),
                "reguarantor_yuan": _yuan(s.reguarantor_fen),
                "bank_yuan": _yuan(s.bank_fen),
                "government_yuan": _yuan(s.government_fen),
                "created_at": s.created_at,
            }
            for s in queryset[start : start + PAGE]
        ],
    }
