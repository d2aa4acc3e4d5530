"""Lending test helpers: final ratings written directly, a product on the Tianchang preset, materials."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from creditvillage.lending.models import Bank, CreditProduct
from creditvillage.lending.services import product_create_from_preset
from creditvillage.rating.models import Rating
from tests.fixtures import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def rate(
    subject: Any,
    grade: str,
    *,
    subject_type: str = "household",
    vetoed: bool = False,
    score: str = "80",
    when: dt.datetime | None = None,
    status: str = "final",
) -> Rating:
    """A final rating of ``subject`` (a household, entity or collective), as the rating cycle would write it."""
    return Rating.objects.create(
        subject_type=subject_type,
        subject_id=subject.pk,
        household_id=subject.pk if subject_type == "household" else None,
        region_code=subject.region_id,
        model_code="test",
        model_version=1,
        score=Decimal(score),
        grade=grade,
        credit_subject=grade in {"A", "AA", "AAA"},
        vetoed=vetoed,
        status=status,
        created_at=when or timezone.now(),
    )


def upload(name: str = "id.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def bank(world: World) -> Bank:
    assert world.bank is not None
    return world.bank


@pytest.fixture
def product(bank: Bank, settings: Any, tmp_path: Any) -> CreditProduct:
    settings.MEDIA_ROOT = str(tmp_path)
    return product_create_from_preset(
        actor=None, bank=bank, preset="tianchang", code="qianshi", name="芡实贷", base_rate_pct=Decimal("3.45")
    )
