"""Bulk repayment outcomes from a bank: rows from the API or an xlsx sheet, each applied once.

A row names the loan, the amount in yuan, the date and the bank's transaction number
(``reference``); the reference makes a row idempotent (``Repayment`` is unique per bank and
reference), so a re-sent file applies nothing twice. A row naming a loan the officer's bank may
not see is reported exactly like a loan that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from creditvillage.core.errors import DomainError, ValidationFailed
from creditvillage.core.money import yuan_to_fen
from creditvillage.core.scope import Actor
from creditvillage.lending import loans, selectors
from creditvillage.lending.access import require_any_lend
from creditvillage.lending.models import Loan, LoanStatus

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
HEADERS = {"贷款编号": "loan_id", "还款金额（元）": "amount_yuan", "还款日期": "paid_on", "流水号": "reference"}


def apply_repayments(*, actor: Actor | None, rows: list[dict[str, Any]], source: str) -> dict[str, Any]:
    require_any_lend(actor)
    applied = duplicates = 0
    problems: list[dict[str, Any]] = []
    parsed: list[tuple[int, dict[str, Any], dt.date]] = []
    for number, row in enumerate(rows[:MAX_ROWS], start=1):
        try:
            parsed.append((number, row, _date(row["paid_on"])))
        except (KeyError, TypeError, ValueError):
            problems.append({"row": number, "code": "invalid_row", "message": _("该行数据不完整或格式不正确")})
    # Oldest first, and each loan judged overdue or not only once all its rows are in (see
    # repayment_record): a file of last year's monthly repayments must not default a punctual loan.
    touched: dict[int, Loan] = {}
    for number, row, paid_on in sorted(parsed, key=lambda item: (item[2], item[0])):
        try:
            loan = selectors.access_loan(actor, int(row["loan_id"]))
            amount = yuan_to_fen(row["amount_yuan"])
            _rep, new = loans.repayment_record(
                actor=actor,
                loan=loan,
                amount_fen=amount,
                paid_on=paid_on,
                reference=str(row["reference"]),
                source=source,
                refresh_overdue=False,
            )
        except DomainError as exc:
            problems.append({"row": number, "code": exc.code, "message": exc.message})
            continue
        except (KeyError, TypeError, ValueError):
            problems.append({"row": number, "code": "invalid_row", "message": _("该行数据不完整或格式不正确")})
            continue
        touched[loan.pk] = loan
        if new:
            applied += 1
        else:
            duplicates += 1
    for loan in touched.values():
        loan.refresh_from_db()
        if loan.status in (LoanStatus.DISBURSED, LoanStatus.OVERDUE):
            loans.loan_refresh_overdue(loan=loan)
    problems.sort(key=lambda problem: problem["row"])
    if len(rows) > MAX_ROWS:
        problems.append({"row": MAX_ROWS + 1, "code": "too_many_rows", "message": _("一次最多 5000 行")})
    return {"applied": applied, "duplicates": duplicates, "errors": problems}


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def read_xlsx(upload: Any) -> list[dict[str, Any]]:
    """Rows of the first sheet keyed by the API's names; refuses anything that is not a small xlsx."""
    from python_calamine import CalamineWorkbook

    if upload.size is None or upload.size > MAX_BYTES:
        raise ValidationFailed(_("文件过大"), {"field": "file"})
    data = upload.read()
    if not data.startswith(b"PK"):
        raise ValidationFailed(_("请上传 xlsx 文件"), {"field": "file"})
    try:
        sheet = CalamineWorkbook.from_filelike(_bytes_io(data)).get_sheet_by_index(0).to_python()
    except Exception as exc:  # noqa: BLE001 - any parser failure is the same "not a workbook" to the user
        raise ValidationFailed(_("无法读取该 Excel 文件"), {"field": "file"}) from exc
    if not sheet:
        return []
    names = [HEADERS.get(str(cell).strip()) for cell in sheet[0]]
    if set(HEADERS.values()) - set(names):
        raise ValidationFailed(_("表头须为：贷款编号、还款金额（元）、还款日期、流水号"), {"field": "file"})
    out = []
    for raw in sheet[1 : MAX_ROWS + 2]:
        if not any(str(c).strip() for c in raw):
            continue
        row: dict[str, Any] = {name: cell for name, cell in zip(names, raw, strict=False) if name}
        if isinstance(row.get("loan_id"), float):
            row["loan_id"] = int(row["loan_id"])
        if isinstance(row.get("amount_yuan"), float):
            row["amount_yuan"] = repr(row["amount_yuan"])  # the cell's decimal text, not float arithmetic
        out.append(row)
    return out


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)
