"""The loan lifecycle (用信): apply, recommend, decide with maker-checker, disburse, repay, overdue, default."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.core.errors import DomainError, NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.lending import loans, services
from creditvillage.lending.models import CreditLine, CreditProduct, Installment, Loan, RatingFeedback, Repayment
from creditvillage.lending.tests.conftest import rate, upload
from tests.fixtures import World

pytestmark = pytest.mark.django_db
ZHOUAN = "341502204201"


def _line(world: World, product: CreditProduct, grade: str = "AAA") -> CreditLine:
    mine = world.household(ZHOUAN, 0)  # consented to the bank in the fixture
    rate(mine, grade)
    return services.line_grant(
        actor=world.users["bank_officer"], product=product, subject_type="household", subject_id=mine.pk
    )


def _apply(world: World, line: CreditLine, yuan: int = 50_000, key: str = "") -> Loan:
    return loans.loan_apply(
        actor=world.users["household"],
        line=line,
        amount_fen=yuan * 100,
        term_months=12,
        purpose="芡实种植",
        id_document=upload("id.png"),
        certificate=upload("cert.png"),
        idempotency_key=key,
    )


def _second_officer(world: World) -> User:
    user = User.objects.create_user(username="officer2", password="x-123456789")
    RoleAssignment.objects.create(user=user, role="bank_officer", region=world.region("341502204"), bank=world.bank)
    return user


def test_schedule_sums_exactly_and_interest_is_integer_fen() -> None:
    rows = loans.schedule(100_000_01, Decimal("4.14"), 12, dt.date(2026, 1, 31))
    assert sum(r["principal_fen"] for r in rows) == 100_000_01
    assert all(isinstance(r["interest_fen"], int) for r in rows)
    assert rows[0]["interest_fen"] == 34_500  # 10,000,001 × 4.14% / 12 = 34,500.0035 → 34,500
    assert rows[0]["due_on"] == dt.date(2026, 2, 28)  # month-end clamps
    assert rows[-1]["principal_fen"] == 833_333 + 5


def test_full_lifecycle_to_closure(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    line = _line(world, product)
    loan = _apply(world, line)
    assert (loan.status, loan.requested_fen) == ("applied", 5_000_000)
    loans.loan_recommend(actor=world.users["village_operator"], loan=loan, note="村两委推荐")
    loans.loan_decide(actor=officer, loan=loan, approve=True, rate_pct=Decimal("4.10"))
    assert loan.status == "approved"  # 50,000 yuan is under the bank's 200,000 checker amount
    loans.loan_disburse(actor=officer, loan=loan, on=dt.date(2026, 1, 10))
    line.refresh_from_db()
    assert (loan.status, line.used_fen, loan.principal_outstanding_fen) == ("disbursed", 5_000_000, 5_000_000)
    due = sum(i.principal_fen + i.interest_fen for i in Installment.objects.filter(loan=loan))
    rep, applied = loans.repayment_record(
        actor=officer, loan=loan, amount_fen=due, paid_on=dt.date(2026, 1, 20), reference="TX-1"
    )
    assert applied
    assert rep.principal_fen == 5_000_000
    loan.refresh_from_db()
    line.refresh_from_db()
    assert (loan.status, loan.principal_outstanding_fen, line.used_fen) == ("closed", 0, 0)
    actions = set(AuditEvent.objects.filter(target_type="lending.loan").values_list("action", flat=True))
    assert actions >= {"lending.loan_apply", "lending.loan_recommend", "lending.loan_approve", "lending.loan_disburse"}


def test_rate_above_the_cap_and_amount_above_the_line_are_refused(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    line = _line(world, product, "A")  # 100,000 yuan at most 4.83%
    loan = _apply(world, line, 80_000)
    with pytest.raises(ValidationFailed):
        loans.loan_decide(actor=officer, loan=loan, approve=True, rate_pct=Decimal("4.8301"))
    with pytest.raises(ValidationFailed):
        loans.loan_decide(actor=officer, loan=loan, approve=True, amount_fen=100_000_01)
    with pytest.raises(ValidationFailed):
        _apply(world, line, 100_001)
    loan.refresh_from_db()
    assert loan.status == "applied"
    assert loan.amount_fen is None
    loans.loan_decide(actor=officer, loan=loan, approve=True, rate_pct=Decimal("4.83"))
    assert loan.status == "approved"


def test_reject_needs_a_reason(world: World, product: CreditProduct) -> None:
    loan = _apply(world, _line(world, product))
    with pytest.raises(ValidationFailed):
        loans.loan_decide(actor=world.users["bank_officer"], loan=loan, approve=False, reason=" ")
    loans.loan_decide(actor=world.users["bank_officer"], loan=loan, approve=False, reason="用途不符")
    loan.refresh_from_db()
    assert (loan.status, loan.reject_reason) == ("rejected", "用途不符")


def test_maker_checker_above_the_amount(world: World, product: CreditProduct) -> None:
    maker = world.users["bank_officer"]
    loan = _apply(world, _line(world, product), 300_000)
    loans.loan_decide(actor=maker, loan=loan, approve=True)
    assert loan.status == "pending_check"
    with pytest.raises(DomainError) as same:
        loans.loan_check(actor=maker, loan=loan, approve=True)
    assert same.value.code == "same_officer"
    assert Loan.objects.get(pk=loan.pk).status == "pending_check"
    with pytest.raises(DomainError):  # not disbursable before the check
        loans.loan_disburse(actor=maker, loan=loan)
    checker = _second_officer(world)
    loans.loan_check(actor=checker, loan=loan, approve=True)
    loan.refresh_from_db()
    assert (loan.status, loan.checked_by, loan.decided_by) == ("approved", checker, maker)


def test_application_is_idempotent_by_key(world: World, product: CreditProduct) -> None:
    line = _line(world, product)
    first = _apply(world, line, key="k-1")
    again = _apply(world, line, key="k-1")
    assert first.pk == again.pk
    assert Loan.objects.count() == 1


def test_household_applies_only_against_its_own_line(world: World, product: CreditProduct) -> None:
    line = _line(world, product)
    CreditLine.objects.filter(pk=line.pk).update(household=world.household(ZHOUAN, 1))
    line.refresh_from_db()
    with pytest.raises(NotFound):
        _apply(world, line)
    assert not Loan.objects.exists()


def test_materials_must_be_images_or_pdf(world: World, product: CreditProduct) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    line = _line(world, product)
    with pytest.raises(ValidationFailed):
        loans.loan_apply(
            actor=world.users["household"],
            line=line,
            amount_fen=100,
            term_months=12,
            purpose="x",
            id_document=SimpleUploadedFile("id.exe", b"MZ\x90\x00"),
            certificate=upload(),
        )


def _disbursed(world: World, product: CreditProduct, on: dt.date, guaranteed: bool = False) -> Loan:
    officer = world.users["bank_officer"]
    loan = _apply(world, _line(world, product))
    loans.loan_decide(actor=officer, loan=loan, approve=True)
    loans.loan_disburse(actor=officer, loan=loan, on=on)
    if guaranteed:
        Loan.objects.filter(pk=loan.pk).update(guaranteed=True)
        loan.refresh_from_db()
    return loan


def test_repayment_upload_is_idempotent_by_reference(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    first, applied = loans.repayment_record(
        actor=officer, loan=loan, amount_fen=100_000, paid_on=dt.date(2026, 2, 10), reference="R-9"
    )
    again, applied_again = loans.repayment_record(
        actor=officer, loan=loan, amount_fen=100_000, paid_on=dt.date(2026, 2, 10), reference="R-9"
    )
    assert applied
    assert not applied_again
    assert first.pk == again.pk
    assert Repayment.objects.count() == 1
    with pytest.raises(DomainError) as reused:
        loans.repayment_record(actor=officer, loan=loan, amount_fen=5, paid_on=dt.date(2026, 2, 10), reference="R-9")
    assert reused.value.code == "reference_reused"


def test_overdue_days_then_default_feeds_back(world: World, product: CreditProduct) -> None:
    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    loans.loan_refresh_overdue(loan=loan, today=dt.date(2026, 3, 1))  # first due 2026-02-10
    assert (loan.status, loan.overdue_days) == ("overdue", 19)
    loans.loan_refresh_overdue(loan=loan, today=dt.date(2026, 5, 11))  # 90 days: still overdue
    assert (loan.status, loan.overdue_days) == ("overdue", 90)
    loans.loan_refresh_overdue(loan=loan, today=dt.date(2026, 5, 12))
    loan.refresh_from_db()
    assert (loan.status, loan.overdue_days, loan.defaulted_on) == ("defaulted", 91, dt.date(2026, 5, 12))
    feedback = RatingFeedback.objects.get(loan=loan)
    assert feedback.household_id == loan.household_id
    assert feedback.overdue_days == 91
    assert AuditEvent.objects.filter(action="lending.loan_default", target_id=str(loan.pk)).count() == 1
    # Delivered to dynamic adjustment: the rating was downgraded and the line followed it.
    assert feedback.delivered, feedback.message
    from creditvillage.rating.selectors import current_rating

    current = current_rating(subject_type="household", subject_id=loan.household_id)
    assert current is not None
    assert current.grade != "AAA"
    assert CreditLine.objects.get(pk=loan.line_id).status != "active"
    # Refreshing again changes nothing and sends nothing twice.
    loans.loan_refresh_overdue(loan=loan, today=dt.date(2026, 6, 1))
    assert RatingFeedback.objects.count() == 1


def test_nightly_pass_counts_running_loans(world: World, product: CreditProduct) -> None:
    _disbursed(world, product, timezone.localdate() - dt.timedelta(days=200))
    assert loans.loans_refresh_overdue() == 1
    assert Loan.objects.get().status == "defaulted"


def test_a_file_of_past_monthly_repayments_does_not_default_a_punctual_loan(
    world: World, product: CreditProduct
) -> None:
    """The bank uploads last months' repayments in one file (any row order): the loan was never late."""
    from creditvillage.lending.uploads import apply_repayments

    officer = world.users["bank_officer"]
    start = timezone.localdate() - dt.timedelta(days=200)
    loan = _disbursed(world, product, start)
    due = list(loan.installments.filter(due_on__lt=timezone.localdate()).order_by("seq"))
    assert len(due) >= 6
    rows = [
        {
            "loan_id": loan.pk,
            "amount_yuan": str(Decimal(i.principal_fen + i.interest_fen) / 100),
            "paid_on": i.due_on.isoformat(),
            "reference": f"M-{i.seq}",
        }
        for i in reversed(due)  # newest first: the upload sorts by date
    ]
    rows.append({"loan_id": loan.pk, "amount_yuan": "1", "paid_on": "not a date", "reference": "M-x"})
    result = apply_repayments(actor=officer, rows=rows, source="upload")
    assert (result["applied"], result["duplicates"]) == (len(due), 0)
    assert [e["row"] for e in result["errors"]] == [len(due) + 1]
    loan.refresh_from_db()
    assert (loan.status, loan.overdue_days) == ("disbursed", 0)
    assert not RatingFeedback.objects.exists()
    paid = list(loan.installments.filter(seq__lte=len(due)).order_by("seq").values_list("paid_on", flat=True))
    assert paid == [i.due_on for i in due]  # each instalment paid on its own due date


def test_an_upload_still_finds_a_loan_late_when_it_is(world: World, product: CreditProduct) -> None:
    from creditvillage.lending.uploads import apply_repayments

    officer = world.users["bank_officer"]
    loan = _disbursed(world, product, timezone.localdate() - dt.timedelta(days=200))
    first = loan.installments.order_by("seq").first()
    assert first is not None
    row = {"loan_id": loan.pk, "amount_yuan": str(Decimal(first.principal_fen + first.interest_fen) / 100)}
    apply_repayments(
        actor=officer, rows=[{**row, "paid_on": first.due_on.isoformat(), "reference": "M-1"}], source="upload"
    )
    loan.refresh_from_db()
    assert loan.status == "defaulted"  # the second instalment is more than 90 days past due
