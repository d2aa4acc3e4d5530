"""Reads of civility rounds and evaluations (乡风文明评议)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from creditvillage.accounts.roles import Action
from creditvillage.civility.models import (
    CivilityRound,
    CivilityScheme,
    Evaluation,
    GroupKind,
    GroupMember,
    HouseholdResult,
    ItemKind,
    RoundStatus,
    SchemeVersion,
    VersionStatus,
)
from creditvillage.core.errors import NotFound
from creditvillage.core.identifiers import mask_resident_id
from creditvillage.core.scope import Actor, access, code_range, significant_prefix
from creditvillage.regions.selectors import access_region
from creditvillage.registry.models import Household


def current_results() -> QuerySet[HouseholdResult]:
    """Results of each round's last closing (a reopened round's earlier closings are history)."""
    return HouseholdResult.objects.filter(closing=F("round__closings"))


def _latest_closed_rounds(region_prefix: str, year: int | None) -> list[int]:
    """Per village, the latest round that has closed at least once. A round reopened for
    correction keeps feeding its last frozen results until it closes again (ADR 0039)."""
    lo, hi = code_range(region_prefix)
    rounds = CivilityRound.objects.filter(closings__gte=1, region_id__gte=lo, region_id__lte=hi)
    if year is not None:
        rounds = rounds.filter(year=year)
    latest: dict[str, int] = {}
    for pk, region_id in rounds.order_by("region_id", "-year", "-closed_at", "-pk").values_list("pk", "region_id"):
        latest.setdefault(region_id, pk)
    return list(latest.values())


def household_civility_scores(region_prefix: str, year: int | None = None) -> dict[int, Decimal]:
    """The civility score (trimmed mean of the evaluators) per household under ``region_prefix``.

    From each village's latest round that has closed (of ``year`` when given), its last closing.
    Households without a closed round are absent. The scoring engine reads this as the
    ``civility_score`` indicator; scope was checked by the caller that started the rating run.
    """
    rounds = _latest_closed_rounds(region_prefix, year)
    if not rounds:
        return {}
    return dict(current_results().filter(round_id__in=rounds).values_list("household_id", "score"))


def household_civility_vetoes(region_prefix: str, year: int | None = None) -> dict[int, str]:
    """Households under ``region_prefix`` with a confirmed one-veto civility item → the written basis."""
    rounds = _latest_closed_rounds(region_prefix, year)
    if not rounds:
        return {}
    return dict(current_results().filter(round_id__in=rounds, vetoed=True).values_list("household_id", "veto_basis"))


# --- Schemes (programme-wide reference data) ------------------------------------------------------------------


def scheme_list() -> QuerySet[CivilityScheme]:
    return CivilityScheme.objects.prefetch_related("versions").order_by("code")


def access_version(pk: Any) -> SchemeVersion:
    try:
        return SchemeVersion.objects.select_related("scheme").get(pk=int(pk))
    except (SchemeVersion.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def active_versions() -> QuerySet[SchemeVersion]:
    return SchemeVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("scheme").order_by("scheme__code")


def version_table(version: SchemeVersion) -> dict[str, Any]:
    """The checklist as tables: one per dimension (positive and negative items), then the veto list."""
    dimensions = []
    for dimension in version.dimensions.order_by("position").prefetch_related("items"):
        items = sorted(dimension.items.all(), key=lambda i: i.position)
        dimensions.append(
            {
                "dimension": dimension,
                "positive": [i for i in items if i.kind == ItemKind.POSITIVE],
                "negative": [i for i in items if i.kind == ItemKind.NEGATIVE],
            }
        )
    vetoes = list(version.items.filter(kind=ItemKind.VETO).order_by("position"))
    max_score = None
    if version.bonus_cap is not None:
        max_score = version.base_per_dimension * len(dimensions) + version.bonus_cap
    return {"version": version, "dimensions": dimensions, "vetoes": vetoes, "max_score": max_score}


# --- Rounds -----------------------------------------------------------------------------------------------------


def round_list(*, actor: Actor, region: str | None = None, year: int | None = None) -> QuerySet[CivilityRound]:
    """Rounds the actor may see, under ``region`` (a code the actor may see, else NotFound) and of ``year``."""
    rounds = CivilityRound.objects.visible_to(actor, Action.VIEW)
    if region:
        lo, hi = code_range(significant_prefix(access_region(actor, region).code))
        rounds = rounds.filter(region_id__gte=lo, region_id__lte=hi)
    if year:
        rounds = rounds.filter(year=year)
    return rounds.select_related("region", "scheme_version__scheme").order_by("-year", "region_id")


def access_round(actor: Actor, pk: Any, action: str = Action.VIEW) -> CivilityRound:
    return access(
        CivilityRound.objects.select_related("region", "scheme_version__scheme"),
        actor,
        pk,
        action,
    )


def my_memberships(actor: Actor) -> QuerySet[GroupMember]:
    """The actor's places in evaluation groups of open rounds they may evaluate in."""
    return (
        GroupMember.objects.visible_to(actor, Action.EVALUATE)
        .filter(user_id=getattr(actor, "pk", 0) or 0, group=GroupKind.EVALUATION, round__status=RoundStatus.OPEN)
        .select_related("round__region")
        .order_by("-round__year", "round__region_id")
    )


def own_member(actor: Actor, round_: CivilityRound) -> GroupMember | None:
    return my_memberships(actor).filter(round=round_).first()


def households_to_score(actor: Actor, member: GroupMember) -> list[dict[str, Any]]:
    """The member's households in the round's village: done, to do, or recused (with why)."""
    from creditvillage.civility.services import recused_households

    recused = recused_households(member)
    done = dict(Evaluation.objects.filter(member=member).values_list("household_id", "score"))
    households = (
        Household.objects.visible_to(actor, Action.EVALUATE)
        .filter(region_id=member.round.region_id)
        .order_by("number")
        .only("pk", "number", "head_name", "region_id")
    )
    rows = []
    for household in households:
        state = "recused" if household.pk in recused else ("done" if household.pk in done else "todo")
        rows.append({"household": household, "state": state, "score": done.get(household.pk)})
    return rows


def household_for_scoring(actor: Actor, member: GroupMember, household_id: Any) -> Household:
    try:
        return (
            Household.objects.visible_to(actor, Action.EVALUATE)
            .filter(region_id=member.round.region_id)
            .get(pk=int(household_id))
        )
    except (Household.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def own_evaluation(member: GroupMember, household: Household) -> Evaluation | None:
    return Evaluation.objects.filter(member=member, household=household).prefetch_related("marks").first()


@dataclass
class MemberProgress:
    member: GroupMember
    done: int
    to_do: int
    recused: int
    mean_deviation: Decimal | None
    compared: int
    flagged: bool


def round_detail(actor: Actor, round_: CivilityRound) -> dict[str, Any]:
    """Everything the round page shows: groups with masked ID numbers, per-evaluator progress and
    deviation (live while open, frozen once closed), steps, and results."""
    from creditvillage.civility.services import missing_steps, recused_households, round_outcome

    members = list(GroupMember.objects.filter(round=round_).select_related("user"))
    for m in members:
        m.masked_id = mask_resident_id(m.id_number) if m.id_number else ""  # type: ignore[attr-defined]
    households = set(Household.objects.filter(region_id=round_.region_id).values_list("pk", flat=True))
    done = Counter(Evaluation.objects.filter(round=round_).values_list("member_id", flat=True))
    outcome = round_outcome(round_) if round_.is_open else None
    progress = []
    for m in members:
        if m.group != GroupKind.EVALUATION:
            continue
        recused = len(recused_households(m) & households)
        if outcome is not None:
            d = outcome.deviations.get(m.pk)
            mean, compared, flagged = (d.mean, d.households, d.flagged) if d else (None, 0, False)
        else:
            mean, compared, flagged = m.mean_deviation, m.compared_households, m.flagged
        progress.append(
            MemberProgress(
                m, done[m.pk], max(0, len(households) - recused - done[m.pk]), recused, mean, compared, flagged
            )
        )
    results = (
        outcome.results
        if outcome is not None
        else list(round_.results.filter(closing=round_.closings).order_by("household_id"))
    )
    names = dict(Household.objects.filter(pk__in=[r.household_id for r in results]).values_list("pk", "head_name"))
    steps = {s.kind: s for s in round_.steps.all()}
    # Frozen results of earlier closings (a reopened round): history, newest first.
    history_rows = list(
        round_.results.exclude(closing=round_.closings if not round_.is_open else -1)
        .select_related("household")
        .order_by("-closing", "household__number")
    )
    history: dict[int, list[HouseholdResult]] = {}
    for r in history_rows:
        history.setdefault(r.closing, []).append(r)
    return {
        "round": round_,
        "groups": {kind: [m for m in members if m.group == kind] for kind in GroupKind.values},
        "progress": progress,
        "flagged": [p for p in progress if p.flagged],
        "steps": [(kind, steps.get(kind)) for kind in round_.step_kinds],
        "missing_steps": missing_steps(round_),
        "households": len(households),
        "scored": len(results),
        "results": [{"result": r, "head_name": names.get(r.household_id, "")} for r in results],
        "vetoed": [r for r in results if r.vetoed],
        "history": sorted(history.items(), reverse=True),
    }


def round_summaries(rounds: list[CivilityRound]) -> dict[int, dict[str, int]]:
    """Per round: households evaluated and evaluations made (for the lists)."""
    rows = (
        Evaluation.objects.filter(round_id__in=[r.pk for r in rounds])
        .values("round_id")
        .annotate(evaluations=Count("pk"), households=Count("household_id", distinct=True))
    )
    flagged = dict(
        GroupMember.objects.filter(round_id__in=[r.pk for r in rounds])
        .values("round_id")
        .annotate(n=Count("pk", filter=Q(flagged=True)))
        .values_list("round_id", "n")
    )
    return {
        row["round_id"]: {
            "evaluations": row["evaluations"],
            "households": row["households"],
            "flagged": flagged.get(row["round_id"], 0),
        }
        for row in rows
    }


def round_results(actor: Actor, round_: CivilityRound) -> list[dict[str, Any]]:
    """The frozen results of a closed round (empty while open), as the API gives them."""
    results = (
        HouseholdResult.objects.visible_to(actor, Action.VIEW)
        .filter(round=round_, closing=round_.closings)
        .select_related("household")
        .order_by("household__number")
    )
    return [
        {
            "household_id": r.household_id,
            "household_number": r.household.number,
            "head_name": r.household.head_name,
            "score": r.score,
            "evaluators": r.evaluators,
            "vetoed": r.vetoed,
            "veto_basis": r.veto_basis,
        }
        for r in results
    ]


# --- Choices for the forms ------------------------------------------------------------------------------------


def villages_to_manage(actor: Actor) -> list[tuple[str, str]]:
    """Villages where the actor may open rounds (``change``), at most 2,000, in code order."""
    from creditvillage.regions.choices import RegionLevel
    from creditvillage.regions.models import Region

    rows = (
        Region.objects.visible_to(actor, Action.CHANGE)
        .filter(level=RegionLevel.VILLAGE)
        .select_related("parent")
        .order_by("code")[:2000]
    )
    return [(r.code, f"{r.parent.name if r.parent else ''}{r.name}") for r in rows]


def evaluator_choices(round_: CivilityRound) -> list[tuple[str, str]]:
    """Logins holding the evaluator role over the round's village (its own or a parent region)."""
    from creditvillage.accounts.models import RoleAssignment
    from creditvillage.accounts.roles import Role

    code = round_.region_id
    prefixes = {code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12)}
    assignments = (
        RoleAssignment.objects.filter(role=Role.EVALUATOR, is_active=True, region_id__in=prefixes)
        .select_related("user")
        .order_by("user__username")
    )
    taken = set(round_.members.filter(group=GroupKind.EVALUATION).values_list("user_id", flat=True))
    return [(str(a.user_id), f"{a.user} ({a.user.username})") for a in assignments if a.user_id not in taken]


def village_household_choices(actor: Actor, round_: CivilityRound) -> list[tuple[str, str]]:
    rows = (
        Household.objects.visible_to(actor, Action.CHANGE)
        .filter(region_id=round_.region_id)
        .order_by("number")
        .values_list("pk", "number", "head_name")
    )
    return [(str(pk), f"{head}（{number}）") for pk, number, head in rows]


def round_relatives(actor: Actor, round_: CivilityRound) -> list[dict[str, Any]]:
    """Recorded relatives of this round's members (masked ID numbers), for the recusal page."""
    from creditvillage.civility.models import Relative

    members = {m.id_number: m for m in round_.members.exclude(id_number="")}
    rows = (
        Relative.objects.visible_to(actor, Action.VIEW)
        .filter(id_number__in=list(members))
        .select_related("household")
        .order_by("household__number")
    )
    return [{"member": members[r.id_number], "relative": r} for r in rows]


def household_for_change(actor: Actor, round_: CivilityRound, household_id: Any) -> Household:
    try:
        return (
            Household.objects.visible_to(actor, Action.CHANGE)
            .filter(region_id=round_.region_id)
            .get(pk=int(household_id))
        )
    except (Household.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


# --- Evidence photos --------------------------------------------------------------------------------------------


@dataclass
class EvidenceAccess:
    round: CivilityRound
    household: Household
    # Reviewers (township, deliberation and supervision groups) see who scored what; the
    # household sees its evidence without the evaluators' names or scores.
    reviewer: bool


def evidence_reviewer(actor: Actor, round_: CivilityRound) -> bool:
    """Whether the actor reviews the round's evidence: ``decide`` over the village (the township,
    administrators), or a place in the round's deliberation or supervision group while their
    grants still cover the village (``view``)."""
    from creditvillage.core.scope import can

    if can(actor, Action.DECIDE, round_):
        return True
    user_id = getattr(actor, "pk", None)
    if not user_id:
        return False
    in_group = GroupMember.objects.filter(
        round=round_, user_id=user_id, group__in=[GroupKind.DELIBERATION, GroupKind.SUPERVISION]
    ).exists()
    return in_group and can(actor, Action.VIEW, round_)


def _own_household(actor: Actor, household: Household) -> bool:
    """The household's own login (``apply`` is granted only to a household over itself)."""
    from creditvillage.core.scope import can

    return can(actor, Action.APPLY, household)


def access_evidence(actor: Actor, round_pk: Any, household_pk: Any) -> EvidenceAccess:
    """The evidence of one household in one round, for a reviewer or the household itself; any
    other caller, an unknown round or a household outside the round's village: NotFound."""
    try:
        round_ = CivilityRound.objects.select_related("region").get(pk=int(round_pk))
        household = Household.objects.get(pk=int(household_pk), region_id=round_.region_id)
    except (CivilityRound.DoesNotExist, Household.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if evidence_reviewer(actor, round_):
        return EvidenceAccess(round_, household, reviewer=True)
    if _own_household(actor, household):
        return EvidenceAccess(round_, household, reviewer=False)
    raise NotFound()


def evidence_items(access_: EvidenceAccess) -> list[Evaluation]:
    """The household's evaluations in the round that carry a photo, in submission order."""
    return list(
        Evaluation.objects.filter(round=access_.round, household=access_.household)
        .exclude(photo="")
        .select_related("member")
        .order_by("submitted_at", "pk")
    )


def evidence_photo(actor: Actor, round_pk: Any, evaluation_pk: Any) -> Evaluation:
    """One evaluation's photo, checked like its household's evidence page (else NotFound)."""
    try:
        evaluation = Evaluation.objects.get(pk=int(evaluation_pk), round_id=int(round_pk))
    except (Evaluation.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    access_evidence(actor, evaluation.round_id, evaluation.household_id)
    if not evaluation.photo:
        raise NotFound()
    return evaluation


def evidence_counts(round_: CivilityRound) -> dict[int, int]:
    """Photos per household in the round (for the round page's links)."""
    return dict(
        Evaluation.objects.filter(round=round_)
        .exclude(photo="")
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )


def own_household_evidence(actor: Actor) -> list[dict[str, Any]]:
    """For a household login: the rounds with evidence photos about its own household."""
    from creditvillage.accounts.models import RoleAssignment
    from creditvillage.accounts.roles import Role

    user_id = getattr(actor, "pk", None)
    if not user_id:
        return []
    household_ids = list(
        RoleAssignment.objects.filter(
            user_id=user_id, role=Role.HOUSEHOLD, is_active=True, household_id__isnull=False
        ).values_list("household_id", flat=True)
    )
    households = [h for h in Household.objects.filter(pk__in=household_ids) if _own_household(actor, h)]
    rows = (
        Evaluation.objects.filter(household__in=households)
        .exclude(photo="")
        .values("round_id", "round__year", "household_id")
        .annotate(n=Count("pk"))
        .order_by("-round__year", "household_id")
    )
    return [
        {"round_id": r["round_id"], "year": r["round__year"], "household_id": r["household_id"], "photos": r["n"]}
        for r in rows
    ]
