"""The demo's civility chapter: closed rounds everywhere with households, one flag, one veto."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db.models import Count

from creditvillage.accounts.models import RoleAssignment
from creditvillage.civility import selectors
from creditvillage.civility.models import CivilityRound, Evaluation, GroupMember, HouseholdResult, Relative
from creditvillage.demo.builder import demo_build
from creditvillage.registry.models import Household

pytestmark = pytest.mark.django_db
ZHOUAN = "341502204201"


def test_demo_builds_closed_rounds_with_one_flag_and_one_veto(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    started = time.perf_counter()
    demo_build()
    seconds = time.perf_counter() - started
    villages_with_households = set(Household.objects.values_list("region_id", flat=True))
    rounds = list(CivilityRound.objects.all())
    assert {r.region_id for r in rounds} == villages_with_households
    assert {r.status for r in rounds} == {"closed"}
    assert all(r.steps.count() == 6 for r in rounds)
    # every household has a result, from at least 3 evaluators (5 minus recusals)
    assert HouseholdResult.objects.count() == Household.objects.count()
    assert min(HouseholdResult.objects.values_list("evaluators", flat=True)) >= 3
    # exactly one flagged evaluator, the generous one in 周庵村
    flagged = list(GroupMember.objects.filter(flagged=True))
    assert len(flagged) == 1
    assert flagged[0].round.region_id == ZHOUAN
    assert flagged[0].mean_deviation is not None
    assert flagged[0].mean_deviation >= Decimal("2")
    # exactly one veto, with its written basis; a lone evaluator's veto did not count
    vetoes = selectors.household_civility_vetoes("341502204")
    assert len(vetoes) == 1
    assert "失信被执行人" in next(iter(vetoes.values()))
    assert selectors.household_civility_vetoes("341181") == {}
    # recusal held: no evaluator scored their own or a recorded relative's household
    for relative in Relative.objects.all()[:50]:
        assert not Evaluation.objects.filter(
            member__id_number=relative.id_number, household=relative.household
        ).exists()
    # the demo evaluator login is in 周庵村's evaluation group and scored there
    zhouan = CivilityRound.objects.get(region_id=ZHOUAN)
    assert Evaluation.objects.filter(round=zhouan, member__user__username="evaluator").count() >= 95
    # the scoring engine reads a score for every household
    scores = selectors.household_civility_scores("34")
    assert len(scores) == Household.objects.count()
    assert Decimal("0") <= min(scores.values()) <= max(scores.values()) <= Decimal("30")
    per_round = dict(Evaluation.objects.values("round_id").annotate(n=Count("pk")).values_list("round_id", "n"))
    assert min(per_round.values()) >= 300
    # evidence photos in 周庵村, real PNGs, on the vetoed household and the household login's own
    photos = list(Evaluation.objects.exclude(photo="").select_related("round"))
    zhouan_households = Household.objects.filter(region_id=ZHOUAN).count()
    assert len(photos) == zhouan_households + 1
    assert {e.round.region_id for e in photos} == {ZHOUAN}
    assert all(e.photo.open("rb").read(8) == b"\x89PNG\r\n\x1a\n" for e in photos)
    household_login = RoleAssignment.objects.get(user__username="household", role="household")
    assert household_login.household_id in {e.household_id for e in photos}
    print(f"demo with civility built in {seconds:.1f}s")  # shown with -s
