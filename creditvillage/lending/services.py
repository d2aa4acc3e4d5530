"""Writes of the lending app: products, consents, credit lines and whole-village grants.

Loans and repayments: ``lending.loans``; the risk fund and the 4321 split: ``lending.risk``.
Every write is one transaction with its audit record (C11); money is integer fen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.core.scope import Actor, can, code_range, significant_prefix
from creditvillage.lending import grant_batch
from creditvillage.lending.access import bank_serves, household_grant, require_lend
from creditvillage.lending.models import (
    Bank,
    Consent,
    ConsentChannel,
    CreditLine,
    CreditProduct,
    IdempotencyRecord,
    LineStatus,
    ProductTier,
    RateMode,
    VillageGrant,
)
from creditvillage.lending.policies import PRESETS, Tier, rate_cap
from creditvillage.rating.models import Rating, RatingStatus
from creditvillage.registry.models import BusinessEntity, Collective, Household

MAX_SIGNATURE_BYTES = 5 * 1024 * 1024
SIGNATURE_TYPES = {"image/jpeg", "image/png", "application/pdf"}


# ------------------------------------------------------------------------------------------------
# Products
# ------------------------------------------------------------------------------------------------


def product_create_from_preset(
    *,
    actor: Actor | None,
    bank: Bank,
    preset: str,
    code: str,
    name: str,
    base_rate_pct: Decimal = Decimal("3.45"),
    subject_types: list[str] | None = None,
    term_months: int = 12,
    materials: list[str] | None = None,
    description: str = "",
) -> CreditProduct:
    """A bank's product whose tiers are a built-in preset's (the bank may edit them afterwards)."""
    if actor is not None and not actor.is_superuser:
        require_lend(actor, bank, _bank_region(bank))
    policy = PRESETS.get(preset)
    if policy is None:
        raise NotFound()
    kinds = subject_types or policy.subject_types
    with transaction.atomic():
        product = CreditProduct.objects.create(
            bank=bank,
            code=code,
            name=name,
            preset=preset,
            subject_types=kinds,
            base_rate_pct=base_rate_pct,
            term_months=term_months,
            materials=materials if materials is not None else ["身份证", "信用证书"],
            description=description or policy.source,
        )
        ProductTier.objects.bulk_create(
            [
                ProductTier(
                    product=product,
                    subject_type=kind,
                    grade=grade,
                    max_line_fen=tier.max_line_yuan * 100,
                    rate_mode=RateMode.FIXED if tier.fixed_rate_pct is not None else RateMode.MARKUP,
                    rate_value_pct=tier.fixed_rate_pct if tier.fixed_rate_pct is not None else tier.markup_pct or 0,
                )
                for (kind, grade), tier in policy.tiers.items()
                if kind in kinds
            ]
        )
        audit.record(actor=actor, action="lending.product_create", target=product, reason=f"preset {preset}")
    return product


def _bank_region(bank: Bank) -> str:
    region = bank.regions.order_by("code").first()
    return region.code if region else ""


def tier_terms(product: CreditProduct, tier: ProductTier) -> tuple[int, Decimal]:
    """(maximum line in fen, rate cap in percent) of one tier at the product's base rate."""
    as_tier = (
        Tier(tier.max_line_fen // 100, fixed_rate_pct=tier.rate_value_pct)
        if tier.rate_mode == RateMode.FIXED
        else Tier(tier.max_line_fen // 100, markup_pct=tier.rate_value_pct)
    )
    return tier.max_line_fen, rate_cap(as_tier, product.base_rate_pct)


def product_terms(product: CreditProduct) -> dict[tuple[str, str], tuple[int, Decimal]]:
    return {(t.subject_type, t.grade): tier_terms(product, t) for t in product.tiers.all() if t.max_line_fen > 0}


# ------------------------------------------------------------------------------------------------
# Consent (授权)
# ------------------------------------------------------------------------------------------------


def consent_grant(
    *,
    actor: Actor | None,
    household: Household,
    bank: Bank,
    purpose: str,
    signature: UploadedFile | None = None,
    reason: str = "",
) -> Consent:
    """A household's separate consent naming ``bank`` and ``purpose`` (PIPL arts 23, 29).

    The household itself on its phone (``apply`` on its own file), or the village recording a
    paper consent (``change`` on the household) with the scanned signature, which is then required.
    """
    own = household_grant(actor)
    if own is not None and own.household_id == household.pk:
        channel = ConsentChannel.PHONE
    elif actor is not None and can(actor, Action.CHANGE, household):
        channel = ConsentChannel.PAPER
        if signature is None:
            raise ValidationFailed(_("纸质授权须上传签字扫描件"), {"field": "signature"})
        _check_upload(signature, SIGNATURE_TYPES, MAX_SIGNATURE_BYTES, "signature")
    else:
        if actor is None or not actor.is_authenticated:
            raise PermissionDenied()
        raise NotFound()
    purpose = purpose.strip()
    if not purpose:
        raise ValidationFailed(_("请填写授权用途"), {"field": "purpose"})
    if not bank_serves(bank, household.region_id):
        raise ValidationFailed(_("该金融机构不服务本村"), {"field": "bank"})
    try:
        with transaction.atomic():
            consent = Consent(
                household=household,
                bank=bank,
                purpose=purpose[:100],
                granted_at=timezone.now(),
                recorded_by=_user(actor) if channel == ConsentChannel.PAPER else None,
                channel=channel,
            )
            if signature is not None:
                consent.signature.save(f"consent-{household.pk}-{bank.pk}.{_ext(signature)}", signature, save=False)
            consent.save()
            audit.record(
                actor=actor,
                action="lending.consent_grant",
                target=consent,
                region_code=household.region_id,
                changes={"bank": [None, bank.pk], "purpose": [None, consent.purpose], "channel": [None, channel]},
                reason=reason or purpose,
                channel=channel,
            )
    except IntegrityError as exc:
        raise DomainError("already_consented", _("已授权该金融机构，无需重复授权")) from exc
    return consent


def consent_revoke(*, actor: Actor | None, consent: Consent, reason: str = "") -> Consent:
    """Revoke at once: from this commit on the bank sees nothing of the household (scope_bank_q)."""
    household = consent.household
    own = household_grant(actor)
    allowed = (own is not None and own.household_id == household.pk) or (
        actor is not None and can(actor, Action.CHANGE, household)
    )
    if not allowed:
        raise NotFound()
    with transaction.atomic():
        now = timezone.now()
        changed = Consent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor
        )
        if not changed:
            raise DomainError("already_revoked", _("该授权已撤回"))
        consent.refresh_from_db()
        audit.record(
            actor=actor,
            action="lending.consent_revoke",
            target=consent,
            region_code=household.region_id,
            changes={"revoked_at": [None, now.isoformat()]},
            reason=reason or _("农户撤回授权"),
        )
    return consent


def _ext(upload: UploadedFile) -> str:
    name = upload.name or ""
    return name.rsplit(".", 1)[-1].lower()[:5] if "." in name else "bin"


def _check_upload(upload: UploadedFile, types: set[str], max_bytes: int, field_name: str) -> None:
    if upload.size is None or upload.size > max_bytes:
        raise ValidationFailed(_("文件过大"), {"field": field_name})
    head = upload.read(8)
    upload.seek(0)
    kind = (
        "application/pdf"
        if head.startswith(b"%PDF")
        else "image/png"
        if head.startswith(b"\x89PNG")
        else "image/jpeg"
        if head.startswith(b"\xff\xd8")
        else ""
    )
    if kind not in types:
        raise ValidationFailed(_("只接受 JPG、PNG 或 PDF 文件"), {"field": field_name})


# ------------------------------------------------------------------------------------------------
# Credit lines (授信) and whole-village grants (整村授信)
# ------------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    subject_type: str
    subject_id: int
    household_id: int | None
    name: str
    region_code: str
    grade: str
    rating_id: int
    limit_fen: int
    max_rate_pct: Decimal


@dataclass
class GrantPreview:
    region_code: str
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.candidates)

    @property
    def total_fen(self) -> int:
        return sum(c.limit_fen for c in self.candidates)


def _candidate(row: grant_batch.Row) -> Candidate:
    return Candidate(
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        household_id=row.household_id,
        name=row.name,
        region_code=row.region_code,
        grade=row.grade,
        rating_id=row.rating_id,
        limit_fen=row.limit_fen,
        max_rate_pct=row.max_rate_pct,
    )


def _eligible(product: CreditProduct, region_code: str) -> list[grant_batch.Row]:
    return grant_batch.eligible_rows(
        bank_id=product.bank_id,
        subject_types=list(product.subject_types),
        terms=product_terms(product),
        region_code=region_code,
    )


def grant_candidates(product: CreditProduct, region_code: str) -> GrantPreview:
    """Every subject under the region eligible for a new line of ``product`` (no scope check).

    Eligible: a current final rating (the latest in the subject's village) whose grade has a tier
    with a line, no veto, the subject still filed in that village, no live line at the bank yet,
    and — for a household — an active consent naming the bank. One query (``grant_batch``).
    """
    preview = GrantPreview(region_code=region_code)
    preview.candidates = [_candidate(row) for row in _eligible(product, region_code)]
    return preview


def _require_village(actor: Actor | None, product: CreditProduct, region_code: str) -> None:
    from creditvillage.regions.models import Region

    require_lend(actor, product.bank, region_code)
    if not Region.objects.filter(code=region_code, level="village").exists():
        raise NotFound()


def village_grant_preview(*, actor: Actor | None, product: CreditProduct, region_code: str) -> GrantPreview:
    """How many subjects a whole-village grant would give a line now, and the total (no writes)."""
    _require_village(actor, product, region_code)
    return grant_candidates(product, region_code)


def village_grant(
    *, actor: Actor | None, product: CreditProduct, region_code: str, reason: str = ""
) -> tuple[VillageGrant, GrantPreview]:
    """整村授信: a line for every eligible subject of the village, in one act.

    Concurrency: the partial unique index ``one_live_line`` makes a second officer's insert of the
    same subject a no-op (``ON CONFLICT DO NOTHING`` / ``INSERT OR IGNORE``), so two simultaneous
    grants create each line once; each grant counts the lines it really created.
    """
    _require_village(actor, product, region_code)
    if not product.is_active:
        raise DomainError("product_inactive", _("该产品已停售"))
    with transaction.atomic():
        rows = _eligible(product, region_code)
        grant = VillageGrant.objects.create(
            bank_id=product.bank_id, product=product, region_code=region_code, granted_by=_user(actor)
        )
        _write_and_audit(actor, product, [grant], rows, reason)
    preview = GrantPreview(region_code=region_code, candidates=[_candidate(row) for row in rows])
    return grant, preview


def _villages(actor: Actor | None, product: CreditProduct, region_code: str) -> list[str]:
    """The village codes under a village, township or county the actor may grant for the bank."""
    from creditvillage.regions.models import Region

    require_lend(actor, product.bank, region_code)
    if not Region.objects.filter(code=region_code).exists():
        raise NotFound()
    lo, hi = code_range(significant_prefix(region_code))
    return list(
        Region.objects.filter(level="village", code__gte=lo, code__lte=hi)
        .order_by("code")
        .values_list("code", flat=True)
    )


def region_grant_preview(*, actor: Actor | None, product: CreditProduct, region_code: str) -> GrantPreview:
    """The preview of ``region_grant``: every village's candidates, ordered by village (no writes)."""
    villages = set(_villages(actor, product, region_code))
    preview = GrantPreview(region_code=region_code)
    preview.candidates = [_candidate(r) for r in _eligible(product, region_code) if r.region_code in villages]
    return preview


def region_grant(
    *, actor: Actor | None, product: CreditProduct, region_code: str, reason: str = ""
) -> list[VillageGrant]:
    """整村授信 of every village under a township or county in one act (ADR 0036).

    The same as one ``village_grant`` per village, in one transaction and a handful of queries:
    one ``VillageGrant`` and one audit record per village (its lines created and their total),
    the lines written in bulk. Villages with nothing to grant get a grant of 0 lines, as a
    per-village grant would.
    """
    villages = _villages(actor, product, region_code)
    if not product.is_active:
        raise DomainError("product_inactive", _("该产品已停售"))
    with transaction.atomic():
        user = _user(actor)
        grants = VillageGrant.objects.bulk_create(
            [
                VillageGrant(bank_id=product.bank_id, product=product, region_code=code, granted_by=user)
                for code in villages
            ]
        )
        codes = set(villages)
        rows = [r for r in _eligible(product, region_code) if r.region_code in codes]
        _write_and_audit(actor, product, grants, rows, reason)
    return grants


def _write_and_audit(
    actor: Actor | None, product: CreditProduct, grants: list[VillageGrant], rows: list[grant_batch.Row], reason: str
) -> None:
    """Write the rows' lines under their village's grant, count what was really created, audit each grant."""
    user = _user(actor)
    by_village = {g.region_code: g.pk for g in grants}
    grant_batch.write_lines(
        bank_id=product.bank_id,
        product_id=product.pk,
        rows=rows,
        grant_ids=by_village,
        granted_by_id=user.pk if user is not None else None,
        granted_at=timezone.now(),
    )
    _count_and_audit(actor, grants, reason)


def _count_and_audit(actor: Actor | None, grants: list[VillageGrant], reason: str) -> None:
    """Each grant's lines really created and their total (one query), saved and audited."""
    user = _user(actor)
    totals = grant_batch.grant_totals(g.pk for g in grants)
    for g in grants:
        g.lines_created, g.total_fen = totals[g.pk]
    VillageGrant.objects.bulk_update(
        [g for g in grants if g.lines_created or g.total_fen], ["lines_created", "total_fen"], batch_size=500
    )
    why = reason or _("整村授信")
    if len(grants) == 1:
        g = grants[0]
        audit.record(
            actor=actor,
            action="lending.village_grant",
            target=g,
            region_code=g.region_code,
            changes={"lines_created": [0, g.lines_created], "total_fen": [0, g.total_fen]},
            reason=why,
        )
        return
    label = (getattr(user, "display_name", "") or user.get_username()) if user is not None else ""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=user if label else None,
                actor_label=label or "system",
                action="lending.village_grant",
                target_type=g._meta.label_lower,
                target_id=str(g.pk),
                region_code=g.region_code,
                changes={"lines_created": [0, g.lines_created], "total_fen": [0, g.total_fen]},
                reason=why,
            )
            for g in grants
        ],
        batch_size=1000,
    )


def line_grant(*, actor: Actor | None, product: CreditProduct, subject_type: str, subject_id: int) -> CreditLine:
    """One subject's line (the single-subject form of the village grant); idempotent per subject."""
    names: dict[str, Any] = {"household": Household, "entity": BusinessEntity, "collective": Collective}
    model = names.get(subject_type)
    if model is None:
        raise ValidationFailed(_("主体类型不正确"), {"field": "subject_type"})
    region = model.objects.filter(pk=subject_id).values_list("region_id", flat=True).first()
    if region is None:
        raise NotFound()
    require_lend(actor, product.bank, region)
    with transaction.atomic():
        preview = grant_candidates(product, region)
        match = [c for c in preview.candidates if (c.subject_type, c.subject_id) == (subject_type, subject_id)]
        existing = (
            CreditLine.objects.filter(bank_id=product.bank_id, subject_type=subject_type, subject_id=subject_id)
            .exclude(status=LineStatus.CLOSED)
            .first()
        )
        if existing is not None:
            return existing
        if not match:
            raise DomainError("not_eligible", _("该主体不符合授信条件（须有认定等级、有额度、已授权本行）"))
        c = match[0]
        line = CreditLine.objects.create(
            bank_id=product.bank_id,
            product=product,
            subject_type=c.subject_type,
            subject_id=c.subject_id,
            household_id=c.household_id,
            subject_name=c.name,
            region_code=c.region_code,
            grade=c.grade,
            rating_id=c.rating_id,
            limit_fen=c.limit_fen,
            max_rate_pct=c.max_rate_pct,
            granted_by=_user(actor),
            granted_at=timezone.now(),
        )
        audit.record(
            actor=actor,
            action="lending.line_grant",
            target=line,
            region_code=line.region_code,
            changes={"limit_fen": [0, line.limit_fen]},
            reason=_("授信"),
        )
    return line


def lines_follow_rating(
    *, subject_type: str, subject_id: int, actor: Actor | None = None, reason: str = ""
) -> list[CreditLine]:
    """Bring every live line of the subject in line with its current final rating (for the rating side).

    A veto freezes the line; a grade the product gives no line suspends it; otherwise the limit
    becomes the tier's line for the new grade (a downgrade lowers it) and the rate cap follows.
    Returns the lines that changed.
    """
    rating = (
        Rating.objects.filter(subject_type=subject_type, subject_id=subject_id, status=RatingStatus.FINAL)
        .order_by("-created_at", "-pk")
        .first()
    )
    changed: list[CreditLine] = []
    with transaction.atomic():
        lines = (
            CreditLine.objects.select_for_update()
            .filter(subject_type=subject_type, subject_id=subject_id)
            .exclude(status=LineStatus.CLOSED)
            .select_related("product")
        )
        for line in lines:
            before = {"status": line.status, "limit_fen": line.limit_fen, "grade": line.grade}
            if rating is None:
                line.status = LineStatus.SUSPENDED
            elif rating.vetoed:
                line.status = LineStatus.FROZEN
                line.grade = rating.grade
            else:
                term = product_terms(line.product).get((subject_type, rating.grade))
                line.grade = rating.grade
                line.rating_id = rating.pk
                if term is None:
                    line.status = LineStatus.SUSPENDED
                else:
                    line.status = LineStatus.ACTIVE
                    line.limit_fen, line.max_rate_pct = term
            after = {"status": line.status, "limit_fen": line.limit_fen, "grade": line.grade}
            if after == before:
                continue
            line.save(update_fields=["status", "limit_fen", "grade", "rating_id", "max_rate_pct", "updated_at"])
            audit.record(
                actor=actor,
                action="lending.line_follow_rating",
                target=line,
                region_code=line.region_code,
                changes=audit.diff(before, after),
                reason=reason or _("信用等级变动，授信随之调整"),
            )
            changed.append(line)
    return changed


def _user(actor: Actor | None) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


# ------------------------------------------------------------------------------------------------
# Idempotency (reliability C3)
# ------------------------------------------------------------------------------------------------


def request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(
    *, actor: Any, scope: str, key: str, payload: Any, effect: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any]]:
    """Run ``effect`` once per (user, scope, key): later calls get the stored (status, body).

    The record row is inserted *before* the effect in the same transaction: a concurrent request
    with the same key blocks on the unique index until the first commits, then reads its answer.
    The same key with a different payload is refused (422 ``idempotency_key_reused``).
    """
    if not key:
        return effect()
    digest = request_hash(payload)
    key = key[:128]

    def stored() -> tuple[int, dict[str, Any]]:
        record = IdempotencyRecord.objects.get(user=actor, scope=scope, key=key)
        if record.request_hash != digest:
            raise KeyReused(key)
        return record.status_code, dict(record.response)

    if IdempotencyRecord.objects.filter(user=actor, scope=scope, key=key).exists():
        return stored()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=actor, scope=scope, key=key, request_hash=digest)
            status, body = effect()
            record.status_code = status
            record.response = json.loads(json.dumps(body, default=str))
            record.save(update_fields=["status_code", "response"])
    except IntegrityError:
        if not IdempotencyRecord.objects.filter(user=actor, scope=scope, key=key).exists():
            raise
        return stored()
    return status, body


class KeyReused(DomainError):
    status = 422

    def __init__(self, key: str) -> None:
        super().__init__("idempotency_key_reused", _("同一幂等键的请求内容不同"), {"key": key})
