"""The demo step: models active, indicator rows for every demo household."""

from __future__ import annotations

import pytest

from creditvillage.demo.builder import demo_build
from creditvillage.registry.models import Household
from creditvillage.scoring.models import ModelVersion, SubjectIndicators

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_has_the_models_active_and_indicator_rows() -> None:
    demo_build()
    assert ModelVersion.objects.filter(status="active").count() == 4
    households = Household.objects.count()
    assert households > 0
    assert SubjectIndicators.objects.filter(subject_type="household").count() == households
