"""Reads of campaigns, submissions, spot checks and snapshots: always through ``visible_to``/``access``."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from creditvillage.accounts.roles import Action
from creditvillage.collection import archive
from creditvillage.collection.models import (
    ArchiveSnapshot,
    Assignment,
    Campaign,
    CampaignStatus,
    SpotCheck,
    SpotCheckFinding,
    Submission,
    SubmissionState,
    VillageClosure,
)
from creditvillage.core.errors import NotFound
from creditvillage.core.identifiers import mask_mobile, mask_resident_id
from creditvillage.core.scope import Actor, ScopedQuerySet, access, can, code_range, significant_prefix
from creditvillage.regions.models import Region
from creditvillage.regions.selectors import access_region
from creditvillage.registry.models import BusinessEntity, Collective, Household

__all__ = [
    "access_campaign",
    "access_organisation",
    "organisations_to_collect",
    "access_spot_check",
    "access_submission",
    "campaign_list",
    "households_to_collect",
    "latest_snapshot",
    "latest_snapshot_data",
    "masked_archive",
    "own_campaign_households",
    "spot_check_list",
    "submission_diff",
    "submission_list",
    "village_closures",
]


def campaign_list(*, actor: Actor | None, open_only: bool = False) -> ScopedQuerySet[Campaign]:
    """Campaigns over, under or above the actor's regions (a village collector sees the township's)."""
    queryset = Campaign.objects.visible_to(actor, Action.VIEW).select_related("region")
    if open_only:
        queryset = queryset.filter(status=CampaignStatus.OPEN)
    return queryset.order_by("-year", "region_id", "pk")


def access_campaign(actor: Actor | None, pk: Any) -> Campaign:
    return access(Campaign.objects.select_related("region"), actor, pk)


def _in_region(queryset: QuerySet[Any], field: str, code: str) -> QuerySet[Any]:
    lo, hi = code_range(significant_prefix(code))
    return queryset.filter(**{f"{field}__gte": lo, f"{field}__lte": hi})


def submission_list(
    *,
    actor: Actor | None,
    campaign: Campaign | None = None,
    state: str = "",
    village: str = "",
    action: str = Action.VIEW,
    self_declared: bool | None = None,
) -> ScopedQuerySet[Submission]:
    """Submissions the actor may ``action`` (``verify`` for the township's queue), filtered.

    A ``village`` (any region code) outside the actor's scope raises NotFound, as if missing.
    """
    queryset: Any = Submission.objects.visible_to(actor, action)
    if campaign is not None:
        queryset = queryset.filter(campaign=campaign)
    if state:
        queryset = queryset.filter(state=state)
    if village:
        region = access_region(actor, village)
        queryset = _in_region(queryset, "region_id", region.code)
    if self_declared is not None:
        queryset = queryset.filter(self_declared=self_declared)
    return queryset.select_related("household", "region", "collector", "campaign").order_by(
        "region_id", "household__number", "pk"
    )


def access_submission(actor: Actor | None, pk: Any, action: str = Action.VIEW) -> Submission:
    """One submission the actor may ``action``; NotFound when missing or out of scope."""
    queryset = Submission.objects.select_related("household", "region", "campaign", "collector", "verified_by")
    return access(queryset, actor, pk, action)


def submission_for(
    *, actor: Actor | None, campaign: Campaign, household: Household, action: str = Action.VIEW
) -> Submission | None:
    """The household's submission in the campaign, if the actor may ``action`` it."""
    return Submission.objects.visible_to(actor, action).filter(campaign=campaign, household=household).first()


def submission_diff(submission: Submission, *, actor: Actor | None = None) -> list[dict[str, Any]]:
    """Field-by-field old/new against the previous verified version (the submission's base).

    ID numbers, phones, addresses, health and the money sections are masked for an actor who
    may not see them in full (``view_sensitive`` on this submission).
    """
    rows = archive.diff(submission.base, submission.data)
    reasons = submission.return_reasons or {}
    for row in rows:
        row["reason"] = reasons.get(row["key"], "")
        row["money"] = row["key"].endswith("_fen")
    if actor is not None and not can(actor, Action.VIEW_SENSITIVE, submission):
        if submission.subject_type != "household":
            _mask_org_rows(rows)
            return rows
        for row in rows:
            row["label"] = _mask_text(row["label"])
            field = row["key"].rsplit(".", 1)[-1]
            for side in ("old", "new"):
                if field == "phone" and isinstance(row[side], str):
                    row[side] = mask_mobile(row[side])
                elif row["key"] in archive.SECTIONS or field in SENSITIVE_FIELDS:
                    row[side] = "***"
            if row["key"].startswith("member."):
                _prefix, id_number, name = row["key"].split(".", 2)
                row["key"] = f"member.{mask_resident_id(id_number)}.{name}"
    return rows


def _mask_org_rows(rows: list[dict[str, Any]]) -> None:
    """Entity/collective diff rows for an actor without view_sensitive: representative's ID, phone, money."""
    for row in rows:
        field = row["key"].rsplit(".", 1)[-1]
        for side in ("old", "new"):
            value = row[side]
            if field == "legal_rep_id_number" and value:
                row[side] = mask_resident_id(str(value))
            elif field == "phone" and value:
                row[side] = mask_mobile(str(value))
            elif field.endswith("_fen"):
                row[side] = "***"


# Shown as *** to actors without view_sensitive (as the registry's history does).
SENSITIVE_FIELDS = frozenset({"address", "is_low_income", "is_monitored", "social_notes", "health"})


def _mask_text(text: str) -> str:
    words = text.split(" ")
    return " ".join(mask_resident_id(w) if len(w) == 18 and w[:17].isdigit() else w for w in words)


def masked_archive(actor: Actor | None, submission: Submission, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ID numbers and phones masked unless the actor may see them for this submission."""
    if can(actor, Action.VIEW_SENSITIVE, submission):
        return data
    if submission.subject_type != "household":
        fields = dict(data.get(submission.subject_type) or {})
        fields["legal_rep_id_number"] = (
            mask_resident_id(fields.get("legal_rep_id_number") or "") if fields.get("legal_rep_id_number") else ""
        )
        fields["phone"] = mask_mobile(fields["phone"]) if fields.get("phone") else ""
        for name in list(fields):
            if name.endswith("_fen"):
                fields[name] = "***"
        return {submission.subject_type: fields}
    out = {**data, "household": dict(data.get("household") or {})}
    out["household"]["phone"] = mask_mobile(out["household"].get("phone", ""))
    out["members"] = [
        {**m, "id_number": mask_resident_id(m.get("id_number", "")), "phone": mask_mobile(m.get("phone", ""))}
        for m in data.get("members") or []
    ]
    for section in archive.SECTIONS:
        out[section] = []
    return out


def households_to_collect(
    *, actor: Actor | None, campaign: Campaign, search: str = "", mine_only: bool = False
) -> list[dict[str, Any]]:
    """The households the actor may collect in this campaign, with their submission (if any).

    Households assigned to the actor come first; ``mine_only`` keeps only those.
    """
    households: QuerySet[Household] = Household.objects.visible_to(actor, Action.CHANGE)
    households = _in_region(households, "region_id", campaign.region_id)
    assigned = set(
        Assignment.objects.visible_to(actor, Action.VIEW)
        .filter(campaign=campaign, collector_id=getattr(actor, "pk", None))
        .values_list("household_id", flat=True)
    )
    if mine_only:
        households = households.filter(pk__in=assigned)
    search = search.strip()[:32]
    if search:
        households = households.filter(Q(head_name__contains=search) | Q(number__startswith=search))
    rows = list(households.select_related("region").order_by("region_id", "number")[:200])
    submissions = {
        s.household_id: s
        for s in Submission.objects.visible_to(actor, Action.VIEW).filter(
            campaign=campaign, household_id__in=[h.pk for h in rows]
        )
    }
    rows.sort(key=lambda h: (h.pk not in assigned, h.region_id, h.number))
    return [{"household": h, "submission": submissions.get(h.pk), "assigned": h.pk in assigned} for h in rows]


ORG_MODELS: dict[str, Any] = {"entity": BusinessEntity, "collective": Collective}


def access_organisation(actor: Actor | None, subject_type: str, pk: Any, action: str = Action.VIEW) -> Any:
    """One business entity or collective the actor may ``action``; NotFound when missing or out of scope."""
    model = ORG_MODELS.get(subject_type)
    if model is None:
        raise NotFound()
    return access(model.objects.select_related("region"), actor, pk, action)


def organisation_submission_for(
    *, actor: Actor | None, campaign: Campaign, subject: Any, action: str = Action.VIEW
) -> Submission | None:
    """The entity's or collective's submission in the campaign, if the actor may ``action`` it."""
    subject_type = "entity" if isinstance(subject, BusinessEntity) else "collective"
    return (
        Submission.objects.visible_to(actor, action)
        .filter(campaign=campaign, subject_type=subject_type, subject_id=subject.pk)
        .first()
    )


def organisations_to_collect(*, actor: Actor | None, campaign: Campaign, search: str = "") -> list[dict[str, Any]]:
    """The business entities and collectives the actor may collect in this campaign, with their submission.

    Collectives first (one per village), then entities by village and name.
    """
    search = search.strip()[:32]
    rows: list[dict[str, Any]] = []
    for subject_type in ("collective", "entity"):
        queryset: Any = ORG_MODELS[subject_type].objects.visible_to(actor, Action.CHANGE)
        queryset = _in_region(queryset, "region_id", campaign.region_id)
        if search:
            queryset = queryset.filter(Q(name__contains=search) | Q(uscc__startswith=search.upper()))
        found = list(queryset.select_related("region").order_by("region_id", "name", "pk")[:200])
        submissions = {
            s.subject_id: s
            for s in Submission.objects.visible_to(actor, Action.VIEW).filter(
                campaign=campaign, subject_type=subject_type, subject_id__in=[o.pk for o in found]
            )
        }
        rows += [{"subject": o, "subject_type": subject_type, "submission": submissions.get(o.pk)} for o in found]
    return rows


def own_campaign_households(*, actor: Actor | None) -> list[Household]:
    """The households a household user may declare for (normally exactly one)."""
    if actor is None or not actor.is_authenticated:
        return []
    ids = [g.household_id for g in actor.grants_for(Action.APPLY) if g.household_id is not None]
    return list(Household.objects.visible_to(actor, Action.APPLY).filter(pk__in=ids).select_related("region"))


def village_closures(*, actor: Actor | None, campaign: Campaign) -> dict[str, VillageClosure]:
    rows = VillageClosure.objects.visible_to(actor, Action.VIEW).filter(campaign=campaign)
    return {c.village_id: c for c in rows}


def villages_of(*, actor: Actor | None, campaign: Campaign, action: str = Action.VIEW) -> list[Region]:
    """Villages of the campaign's region that the actor may ``action``."""
    regions = Region.objects.visible_to(actor, action).filter(level="village")
    return list(_in_region(regions, "code", campaign.region_id).order_by("code"))


def spot_check_list(*, actor: Actor | None, campaign: Campaign, village: str = "") -> QuerySet[SpotCheck]:
    queryset: QuerySet[SpotCheck] = SpotCheck.objects.visible_to(actor, Action.AUDIT).filter(campaign=campaign)
    if village:
        region = access_region(actor, village)
        queryset = _in_region(queryset, "village_id", region.code)
    return queryset.select_related("village", "drawn_by").order_by("-drawn_at", "-pk")


def access_spot_check(actor: Actor | None, pk: Any) -> SpotCheck:
    return access(SpotCheck.objects.select_related("village", "campaign", "drawn_by"), actor, pk, Action.AUDIT)


def spot_check_rows(*, actor: Actor | None, spot_check: SpotCheck) -> list[dict[str, Any]]:
    submissions = {
        s.pk: s
        for s in Submission.objects.visible_to(actor, Action.AUDIT)
        .filter(pk__in=spot_check.sample)
        .select_related("household", "collector")
    }
    findings = {f.submission_id: f for f in SpotCheckFinding.objects.filter(spot_check=spot_check)}
    return [
        {"submission": submissions[pk], "finding": findings.get(pk)} for pk in spot_check.sample if pk in submissions
    ]


def latest_snapshot(*, actor: Actor | None, household_id: Any) -> ArchiveSnapshot | None:
    """The household's most recent verified archive the actor may see (ratings read this, not live rows)."""
    return (
        ArchiveSnapshot.objects.visible_to(actor, Action.VIEW)
        .filter(subject_type="household", subject_id=household_id)
        .order_by("-verified_at", "-pk")
        .first()
    )


def latest_snapshot_data(household_ids: list[int], *, campaign_id: int | None = None) -> dict[int, dict[str, Any]]:
    """For batch engines (scoring), not user requests: the latest verified data per household.

    Not scoped on purpose — the caller (a rating run over a region) has already chosen the ids
    from a scoped query.
    """
    queryset = ArchiveSnapshot.objects.filter(subject_type="household", subject_id__in=household_ids)
    if campaign_id is not None:
        queryset = queryset.filter(campaign_id=campaign_id)
    out: dict[int, dict[str, Any]] = {}
    for snapshot in queryset.order_by("subject_id", "-verified_at", "-pk").values("subject_id", "data"):
        out.setdefault(snapshot["subject_id"], snapshot["data"])
    return out


def state_counts(*, actor: Actor | None, campaign: Campaign, action: str = Action.VIEW) -> dict[str, int]:
    """Submissions per state in the actor's scope (for queue tabs)."""
    from django.db.models import Count

    rows = (
        Submission.objects.visible_to(actor, action)
        .filter(campaign=campaign)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(SubmissionState.values, 0)
    for row in rows:
        counts[row["state"]] = row["n"]
    return counts
