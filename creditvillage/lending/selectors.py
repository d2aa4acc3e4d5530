"""Reads of the lending app, always through ``visible_to``/``access`` (out of scope = 404)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from creditvillage.accounts.roles import Action, Role
from creditvillage.core import audit
from creditvillage.core.errors import NotFound, PermissionDenied
from creditvillage.core.models import AuditEvent
from creditvillage.core.scope import Actor, ScopedQuerySet, access, code_range, significant_prefix
from creditvillage.lending.access import actor_bank_ids, household_grant, is_bank_officer, village_party_grants
from creditvillage.lending.models import (
    Consent,
    CreditLine,
    CreditProduct,
    FundMovement,
    Installment,
    LineStatus,
    Loan,
    LoanStatus,
    LossShare,
    Repayment,
    RiskFund,
    VillageGrant,
)
from creditvillage.regions.selectors import access_region
from creditvillage.registry.models import Household

# Audit actions that are a bank reading a household's data (domain.md, Privacy rules).
BANK_READ_ACTIONS = ("household.read_by_bank", "lending.read_by_bank")


def products(*, actor: Actor | None) -> QuerySet[CreditProduct]:
    """Every active product (a bank's published terms; no personal data) for any signed-in user."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    return CreditProduct.objects.filter(is_active=True).select_related("bank").prefetch_related("tiers")


def access_product(actor: Actor | None, pk: Any) -> CreditProduct:
    try:
        return products(actor=actor).get(pk=pk)
    except (CreditProduct.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def own_products(*, actor: Actor | None) -> QuerySet[CreditProduct]:
    """The products of the officer's own banks."""
    return products(actor=actor).filter(bank_id__in=actor_bank_ids(actor))


def _under(queryset: ScopedQuerySet[Any], actor: Actor | None, region: str | None, field: str) -> Any:
    if not region:
        return queryset
    scope = access_region(actor, region)
    lo, hi = code_range(significant_prefix(scope.code))
    return queryset.filter(**{f"{field}__gte": lo, f"{field}__lte": hi})


def lines(*, actor: Actor | None, region: str | None = None, status: str = "") -> Any:
    queryset = CreditLine.objects.visible_to(actor, Action.VIEW).select_related("bank", "product")
    queryset = _under(queryset, actor, region, "region_code")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("region_code", "subject_type", "subject_id")


def access_line(actor: Actor | None, pk: Any) -> CreditLine:
    return access(CreditLine.objects.select_related("bank", "product"), actor, pk)


def own_lines(*, actor: Actor | None) -> list[CreditLine]:
    """A household's own lines (its phone page)."""
    grant = household_grant(actor)
    if grant is None:
        return []
    return list(
        CreditLine.objects.visible_to(actor, Action.VIEW)
        .filter(household_id=grant.household_id or 0)
        .exclude(status=LineStatus.CLOSED)
        .select_related("bank", "product")
    )


def loans(*, actor: Actor | None, region: str | None = None, status: str = "") -> Any:
    """The pipeline: a bank's loans (consented households), a village's, or a household's own."""
    queryset = Loan.objects.visible_to(actor, Action.VIEW).select_related("bank", "household", "line__product")
    queryset = _under(queryset, actor, region, "region_code")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-applied_at", "-pk")


def access_loan(actor: Actor | None, pk: Any) -> Loan:
    return access(Loan.objects.select_related("bank", "household", "line__product", "line"), actor, pk)


def pipeline_counts(*, actor: Actor | None, region: str | None = None) -> dict[str, int]:
    queryset = _under(Loan.objects.visible_to(actor, Action.VIEW), actor, region, "region_code")
    return {row["status"]: row["n"] for row in queryset.order_by().values("status").annotate(n=Count("pk"))}


def loan_schedule(loan: Loan) -> list[Installment]:
    return list(Installment.objects.filter(loan=loan).order_by("seq"))


def loan_repayments(loan: Loan) -> list[Repayment]:
    return list(Repayment.objects.filter(loan=loan).order_by("paid_on", "pk"))


def consents(*, actor: Actor | None, household_id: int | None = None) -> Any:
    queryset = Consent.objects.visible_to(actor, Action.VIEW).select_related("bank", "household")
    if household_id is not None:
        queryset = queryset.filter(household_id=household_id)
    return queryset.order_by("-granted_at", "-pk")


def access_consent(actor: Actor | None, pk: Any) -> Consent:
    return access(Consent.objects.select_related("bank", "household"), actor, pk)


def bank_reads(*, actor: Actor | None, household_id: Any) -> list[AuditEvent]:
    """The log of bank reads of a household's data: for the household itself and for auditors.

    NotFound unless the actor is the household or holds ``audit`` over it.
    """
    household = access(Household.objects.all(), actor, household_id, Action.VIEW)
    own = household_grant(actor)
    is_own = own is not None and own.household_id == household.pk
    may_audit = actor is not None and (
        actor.is_superuser or Household.objects.visible_to(actor, Action.AUDIT).filter(pk=household.pk).exists()
    )
    if not (is_own or may_audit):
        raise NotFound()
    return list(
        AuditEvent.objects.filter(
            action__in=BANK_READ_ACTIONS, target_type="registry.household", target_id=str(household.pk)
        ).order_by("-created_at", "-pk")[:200]
    )


def log_bank_read(*, actor: Actor | None, household: Household, what: str, channel: str = "api") -> None:
    """Every read of a household's data by a bank is written to the audit log."""
    if actor is None or actor.is_superuser or not is_bank_officer(actor):
        return
    audit.record(
        actor=actor,
        action="lending.read_by_bank",
        target=household,
        region_code=household.region_id,
        changes={"what": what},
        channel=channel,
    )


def pre_approved(*, actor: Actor | None, region: str | None = None) -> Any:
    """A bank's consented pre-approved list (预授信名单): its live lines it may see."""
    if not is_bank_officer(actor) and not (actor is not None and actor.is_superuser):
        raise PermissionDenied()
    return lines(actor=actor, region=region).exclude(status=LineStatus.CLOSED)


def village_grants(*, actor: Actor | None, region: str | None = None) -> Any:
    queryset = VillageGrant.objects.visible_to(actor, Action.VIEW).select_related("product", "bank")
    return _under(queryset, actor, region, "region_code").order_by("-created_at")


def access_village_grant(actor: Actor | None, pk: Any) -> VillageGrant:
    return access(VillageGrant.objects.select_related("product", "bank"), actor, pk)


def party_regions(*, actor: Actor | None) -> list[str]:
    return [g.prefix for g in village_party_grants(actor)]


# The figures' rules, shared by the overview and the per-region breakdown (dashboards): loans still
# owing money, and non-performing ones (defaulted, or more than 90 days overdue).
RUNNING_LOANS = (LoanStatus.DISBURSED, LoanStatus.OVERDUE, LoanStatus.DEFAULTED)
NPL_Q = Q(status=LoanStatus.DEFAULTED) | Q(overdue_days__gt=90)


def lending_figures(lines_qs: Any, loans_qs: Any) -> dict[str, int]:
    """Credit granted and used, loans outstanding, NPL (fen and counts) over the given querysets."""
    live = lines_qs.exclude(status=LineStatus.CLOSED).aggregate(granted=Sum("limit_fen"), used=Sum("used_fen"))
    outstanding = loans_qs.filter(status__in=RUNNING_LOANS).aggregate(
        total=Sum("principal_outstanding_fen"), npl=Sum("principal_outstanding_fen", filter=NPL_Q)
    )
    return {
        "credit_granted_fen": live["granted"] or 0,
        "credit_used_fen": live["used"] or 0,
        "loans_outstanding_fen": outstanding["total"] or 0,
        "npl_fen": outstanding["npl"] or 0,
    }


def attestation(*, actor: Actor | None, household_id: Any) -> dict[str, Any]:
    """A signed statement of a consenting household's current final grade, for the officer's bank.

    Only bank officers (403 otherwise); NotFound without consent, outside the region, or unrated.
    The statement carries ids, the grade and dates — no name, ID number or phone. The read is logged.
    """
    from django.utils import timezone

    from creditvillage.lending import attest
    from creditvillage.rating.selectors import current_rating

    if not is_bank_officer(actor):
        raise PermissionDenied()
    household = access(Household.objects.all(), actor, household_id, Action.VIEW)
    rating = current_rating(subject_type="household", subject_id=household.pk)
    if rating is None:
        raise NotFound()
    banks = sorted(actor_bank_ids(actor))
    log_bank_read(actor=actor, household=household, what="attestation")
    return attest.sign(
        {
            "type": "grade_attestation",
            "subject_type": "household",
            "subject_id": household.pk,
            "region_code": household.region_id,
            "grade": rating.grade,
            "credit_subject": rating.credit_subject,
            "rating_id": rating.pk,
            "rated_at": rating.created_at.isoformat(),
            "bank_id": banks[0] if banks else None,
            "issued_at": timezone.now().isoformat(timespec="seconds"),
        }
    )


def overview_figures(*, actor: Actor | None, lo: str, hi: str) -> dict[str, Any]:
    """The dashboard's lending figures under the code range, counted over what ``view_stats`` reaches:
    credit granted and used, loans outstanding (yuan, integers), NPL amount and ratio."""
    lines_qs = CreditLine.objects.visible_to(actor, Action.VIEW_STATS).filter(region_code__gte=lo, region_code__lte=hi)
    loans_qs = Loan.objects.visible_to(actor, Action.VIEW_STATS).filter(region_code__gte=lo, region_code__lte=hi)
    figures = lending_figures(lines_qs, loans_qs)
    outstanding = figures["loans_outstanding_fen"]
    return {
        "credit_granted_yuan": figures["credit_granted_fen"] // 100,
        "credit_used_yuan": figures["credit_used_fen"] // 100,
        "loans_outstanding_yuan": outstanding // 100,
        "npl_yuan": figures["npl_fen"] // 100,
        # Not money: a ratio of two fen sums, as a decimal string ("0.0123"), null without loans.
        "npl_ratio": str((Decimal(figures["npl_fen"]) / outstanding).quantize(Decimal("0.0001")))
        if outstanding
        else None,
    }


# ------------------------------------------------------------------------------------------------
# Risk sharing: the county risk compensation fund (风险补偿金) and the 4321 loss shares
# ------------------------------------------------------------------------------------------------

# Who sees a county's fund (ADR 0033): the county's and its townships' administrators and operators,
# the regulator, the auditors, and the banks (a bank's ledger shows only its own loans' payouts).
# Village operators, collectors, evaluators, merchants and households do not.
FUND_ROLES = frozenset({Role.ADMIN, Role.REGULATOR, Role.TOWNSHIP_OPERATOR, Role.AUDITOR, Role.BANK_OFFICER})


def _county_code(prefix: str) -> str:
    return prefix[:6].ljust(12, "0")


def funds(*, actor: Actor | None) -> Any:
    """The risk funds the actor may see: its county's (a grant at or above the county, or a township's
    grant inside it). A fund holds county money, no personal data."""
    if actor is None or not actor.is_authenticated:
        return RiskFund.objects.none()
    queryset = RiskFund.objects.select_related("region").order_by("region_id", "pk")
    if actor.is_superuser:
        return queryset
    combined = Q(pk__in=[])
    for grant in actor.grants_for(Action.VIEW_STATS):
        if grant.role not in FUND_ROLES or grant.household_id is not None or grant.merchant_id is not None:
            continue
        if len(grant.prefix) <= 6:  # at or above the county
            lo, hi = code_range(grant.prefix)
            combined |= Q(region_id__gte=lo, region_id__lte=hi)
        else:  # a township (or lower) grant sees its county's fund
            combined |= Q(region_id=_county_code(grant.prefix))
    return queryset.filter(combined)


def may_see_funds(actor: Actor | None) -> bool:
    return funds(actor=actor).exists()


def access_fund(actor: Actor | None, pk: Any) -> RiskFund:
    try:
        return funds(actor=actor).get(pk=pk)
    except (RiskFund.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def fund_for_loan(actor: Actor | None, loan: Loan) -> RiskFund | None:
    """The fund of the loan's county, if the actor may see it."""
    return funds(actor=actor).filter(region_id=_county_code(loan.region_code)).first()


def fund_ledger(*, actor: Actor | None, fund: RiskFund) -> Any:
    """The fund's movements, newest first, with who made them. A bank officer sees deposits and
    the payouts on its own bank's loans; everyone else who sees the fund sees every movement."""
    queryset = FundMovement.objects.filter(fund=fund).select_related("created_by", "loan")
    if actor is not None and not actor.is_superuser and is_bank_officer(actor):
        queryset = queryset.filter(Q(loan__isnull=True) | Q(loan__bank_id__in=actor_bank_ids(actor)))
    return queryset.order_by("-pk")


def loan_payout(loan: Loan) -> FundMovement | None:
    return FundMovement.objects.filter(loan=loan, kind="payout").select_related("created_by").first()


def loss_shares(*, actor: Actor | None, region: str | None = None) -> Any:
    """The recorded 4321 splits the actor may see (a bank: its own loans under consent)."""
    queryset = LossShare.objects.visible_to(actor, Action.VIEW).select_related(
        "loan", "loan__bank", "loan__household", "created_by"
    )
    return _under(queryset, actor, region, "region_code").order_by("-created_at", "-pk")


def loan_loss_share(loan: Loan) -> LossShare | None:
    return LossShare.objects.filter(loan=loan).select_related("created_by").first()
