"""Models as versioned data: the shipped defaults, drafts, validation, activation, audit (C11)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from creditvillage.core.errors import PermissionDenied, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.scoring import engine, services
from creditvillage.scoring.models import GradeScheme, Indicator, ModelVersion, ScoringModel, VersionStatus
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def test_a_fresh_database_has_the_four_default_models_active() -> None:
    active = ModelVersion.objects.filter(status="active").select_related("model", "grade_scheme")
    assert sorted((v.model.code, v.model.subject_type, v.grade_scheme.code, v.effective_from) for v in active) == [
        ("COL-DEFAULT", "collective", "tianchang", dt.date(2026, 1, 1)),
        ("ENT-DEFAULT", "entity", "tianchang", dt.date(2026, 1, 1)),
        ("HH-DEFAULT", "household", "tianchang", dt.date(2026, 1, 1)),
        ("VIL-DEFAULT", "village", "village", dt.date(2026, 1, 1)),
    ]
    assert sorted(GradeScheme.objects.values_list("code", flat=True)) == [
        "bachu",
        "shuangluan",
        "tianchang",
        "tongcheng",
        "village",
    ]
    for version in active:
        assert services.version_errors(version) == []
    hh = ModelVersion.objects.get(model__code="HH-DEFAULT")
    assert engine.compile_version(hh).grades == ("AAA", "AA", "A", "B", "C", "D")
    assert hh.indicators.count() == 14


def test_draft_edit_activate_retires_the_old_version_and_audits_old_and_new(world: World) -> None:
    admin = world.users["admin"]
    model = ScoringModel.objects.get(code="HH-DEFAULT")
    v1 = model.versions.get(number=1)
    draft = services.version_draft_create(actor=admin, model=model, reason="收入分段调整")
    assert (draft.number, draft.status, draft.indicators.count()) == (2, "draft", 14)
    income = draft.indicators.get(code="net_income")
    new_bins = [{"upper": 5, "points": 2}, {"upper": 10, "points": 6}, {"upper": None, "points": 10}]
    services.indicator_update(actor=admin, indicator=income, changes={"bins": new_bins}, reason="收入分段调整")
    event = AuditEvent.objects.get(action="scoring.indicator_update")
    assert event.changes["bins"][1] == new_bins
    assert event.changes["bins"][0][0] == {"upper": 3, "points": 2}
    assert (event.reason, event.actor_id) == ("收入分段调整", admin.pk)
    assert v1.indicators.get(code="net_income").bins[0] == {"upper": 3, "points": 2}  # the active version is untouched

    services.version_activate(actor=admin, version=draft, effective_from=dt.date(2026, 6, 1), reason="年度调整")
    v1.refresh_from_db()
    draft.refresh_from_db()
    assert (v1.status, draft.status, draft.effective_from, draft.activated_by_id) == (
        "retired",
        "active",
        dt.date(2026, 6, 1),
        admin.pk,
    )
    activation = AuditEvent.objects.get(action="scoring.version_activate")
    old, new = activation.changes["content"]
    assert old["blocks"][1]["indicators"][0]["bins"][0]["upper"] == 3
    assert new["blocks"][1]["indicators"][0]["bins"][0]["upper"] == 5
    assert AuditEvent.objects.filter(action="scoring.version_retire", target_id=str(v1.pk)).count() == 1
    with pytest.raises(ValidationFailed):  # an active version is never edited
        services.indicator_update(
            actor=admin, indicator=draft.indicators.get(code="workers"), changes={"name": "x"}, reason="x"
        )


@pytest.mark.parametrize(
    "bins",
    [
        [{"upper": 5, "points": 1}, {"upper": 3, "points": 2}, {"upper": None, "points": 3}],  # overlap
        [{"upper": 5, "points": 1}, {"upper": 10, "points": 2}],  # does not cover above 10
        [{"upper": None, "points": 1}, {"upper": 10, "points": 2}, {"upper": None, "points": 3}],  # gap
        [{"upper": 5, "points": "x"}, {"upper": None, "points": 3}],
        [],
    ],
)
def test_invalid_bins_are_refused_and_nothing_changes(world: World, bins: list) -> None:
    admin = world.users["admin"]
    draft = services.version_draft_create(actor=admin, model=ScoringModel.objects.get(code="HH-DEFAULT"), reason="r")
    income = draft.indicators.get(code="net_income")
    before = list(income.bins)
    with pytest.raises(ValidationFailed):
        services.indicator_update(actor=admin, indicator=income, changes={"bins": bins}, reason="r")
    income.refresh_from_db()
    assert income.bins == before


def test_activation_validates_the_whole_version(world: World) -> None:
    admin = world.users["admin"]
    draft = services.version_draft_create(actor=admin, model=ScoringModel.objects.get(code="HH-DEFAULT"), reason="r")
    Indicator.objects.filter(version=draft, code="workers").update(bins=[{"upper": 2, "points": 1}])  # bad row
    Indicator.objects.filter(version=draft, code="land").update(source_field="no_such_field")
    with pytest.raises(ValidationFailed) as caught:
        services.version_activate(actor=admin, version=draft, effective_from=dt.date(2026, 6, 1), reason="r")
    assert len(caught.value.details["errors"]) == 2
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert ModelVersion.objects.get(model__code="HH-DEFAULT", number=1).status == "active"


def test_grade_scheme_must_be_ordered(world: World) -> None:
    admin = world.users["admin"]
    draft = services.version_draft_create(actor=admin, model=ScoringModel.objects.get(code="HH-DEFAULT"), reason="r")
    scheme = GradeScheme.objects.create(code="bad", name="bad", veto_grade="D")
    scheme.grades.create(order=0, code="X", min_score=Decimal(60))
    scheme.grades.create(order=1, code="Y", min_score=Decimal(70))
    scheme.grades.create(order=2, code="Z", min_score=None)
    draft = services.version_update(actor=admin, version=draft, changes={"grade_scheme": scheme}, reason="r")
    assert any("递减" in e for e in services.version_errors(draft))


@pytest.mark.parametrize("persona", ["township_operator", "village_operator", "collector", "household", "nobody"])
def test_only_configure_may_change_models(world: World, persona: str) -> None:
    model = ScoringModel.objects.get(code="HH-DEFAULT")
    with pytest.raises(PermissionDenied):
        services.version_draft_create(actor=world.users[persona], model=model, reason="r")
    assert model.versions.count() == 1
