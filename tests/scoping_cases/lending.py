# ruff: noqa: E501, B007
"""Scoping-matrix entries of lending (reliability C5): every bank endpoint and page.

The seed (memoised on the matrix): the fixture bank (横塘岗乡) and a second bank serving 天长市,
a product each, a final 2026 rating for every household, a credit line and an applied loan for
*every* household at its region's bank — also for households that never consented or whose
consent was revoked, so that a bank seeing them would be a leak — one whole-village grant per bank.

Expected visibility is restated here without ``visible_to``: a row (household h, bank b) is seen
by a grant when h lies under the grant's prefix, the grant names no merchant, names h if it names
a household, and, if it names a bank, names b and h has an active consent to b.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from tests.scoping import response_text, snapshot, snapshot_diff

if TYPE_CHECKING:
    from creditvillage.accounts.models import User
    from tests.test_scoping_matrix import Matrix

API = "/api/v1"
MISSING = 99_999_995
MISSING_REGION = "341502204299"
ZHOUAN = "341502204201"
LONGGANG = "341181100201"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _seed(m: Matrix) -> dict[str, Any]:
    cached = getattr(m, "_lending_seed", None)
    if cached is not None:
        return cached
    from creditvillage.lending.models import Bank, Consent, CreditLine, Loan, VillageGrant
    from creditvillage.lending.services import product_create_from_preset
    from creditvillage.rating.models import Rating, RatingCycle

    bank = m.world.bank
    assert bank is not None
    far = Bank.objects.create(code="TCRCB", name="天长农村商业银行", short_name="天长农商行")
    far.regions.add(m.world.region("341181"))
    products = {
        bank.pk: product_create_from_preset(actor=None, bank=bank, preset="tianchang", code="qs", name="芡实贷"),
        far.pk: product_create_from_preset(actor=None, bank=far, preset="tianchang", code="ls", name="拉丝贷"),
    }
    now = timezone.now()
    Consent.objects.create(household=m.world.household(LONGGANG, 0), bank=far, granted_at=now)
    cycles = {
        code: RatingCycle.objects.create(region=m.world.region(code), year=2026, name=f"{code} 2026", status="final")
        for code in ("341502204", "341502101", "341181100")
    }
    grants = {
        bank.pk: VillageGrant.objects.create(bank=bank, product=products[bank.pk], region_code=ZHOUAN),
        far.pk: VillageGrant.objects.create(bank=far, product=products[far.pk], region_code=LONGGANG),
    }
    loans = {}
    for pk, household in m.oracle.households.items():
        cycle = next(c for code, c in cycles.items() if household.region_id.startswith(code))
        rating = Rating.objects.create(
            cycle=cycle,
            subject_type="household",
            subject_id=pk,
            household_id=pk,
            region_code=household.region_id,
            model_code="matrix",
            model_version=1,
            score=Decimal(60 + pk % 30),
            grade="AA",
            credit_subject=True,
            status="final",
            created_at=now,
        )
        lender = far if household.region_id.startswith("341181") else bank
        line = CreditLine.objects.create(
            bank=lender,
            product=products[lender.pk],
            subject_type="household",
            subject_id=pk,
            household=household,
            subject_name=household.head_name,
            region_code=household.region_id,
            grade="AA",
            rating_id=rating.pk,
            limit_fen=30_000_000,
            max_rate_pct=Decimal("4.485"),
            granted_at=now,
            village_grant=grants[lender.pk] if household.region_id in (ZHOUAN, LONGGANG) else None,
        )
        loans[pk] = Loan.objects.create(
            line=line,
            bank=lender,
            household=household,
            region_code=household.region_id,
            requested_fen=1_000_000,
            requested_term_months=12,
            purpose="种植",
            id_document="lending/materials/id.png",
            certificate="lending/materials/cert.png",
            applied_at=now,
        )
    seed = {"bank": bank, "far": far, "products": products, "loans": loans, "grants": grants}
    m._lending_seed = seed  # type: ignore[attr-defined]
    return seed


def _consented(household_id: int, bank_id: int) -> bool:
    from creditvillage.lending.models import Consent

    return Consent.objects.filter(household_id=household_id, bank_id=bank_id, revoked_at__isnull=True).exists()


def row_visible(m: Matrix, user: User, household_id: int, bank_id: int, action: str = "view") -> bool:
    if user.is_superuser:
        return True
    household = m.oracle.households[household_id]
    for g in m.oracle.grants(user, action):
        if not household.region_id.startswith(g.prefix) or g.merchant_id is not None:
            continue
        if g.household_id is not None and g.household_id != household_id:
            continue
        if g.bank_id is not None and (g.bank_id != bank_id or not _consented(household_id, bank_id)):
            continue
        return True
    return False


def _is_officer_of(m: Matrix, user: User, bank_id: int, region_code: str) -> bool:
    """May lend for ``bank_id`` at ``region_code`` (scope and the bank's service area)."""
    if user.is_superuser:
        return True
    from creditvillage.core.scope import significant_prefix
    from creditvillage.lending.models import Bank

    serves = any(region_code.startswith(significant_prefix(r.code)) for r in Bank.objects.get(pk=bank_id).regions.all())
    grants = m.oracle.grants(user, "lend")
    return serves and any(g.bank_id == bank_id and region_code.startswith(g.prefix) for g in grants)


def _is_officer(m: Matrix, user: User) -> bool:
    return user.is_superuser or any(g.bank_id for g in m.oracle.grants(user, "lend"))


def _bank_persona(m: Matrix, user: User) -> bool:
    return not user.is_superuser and any(g.bank_id for g in m.oracle.grants(user, "lend"))


def _hidden(m: Matrix, user: User, *keep: int) -> set[int]:
    return set(m.oracle.households) - m.oracle.households_for(user, "view") - set(keep)


def _rolled_back(call: Callable[[], Any]) -> Any:
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


def _page_post(client: Any, path: str, data: dict[str, Any] | None = None) -> Any:
    """POST inside a rolled-back savepoint; the flash message a permitted POST leaves (a cookie) is
    dropped, so that it cannot show on the next answer compared with the missing-id answer."""
    client.cookies.pop("messages", None)
    response = _rolled_back(lambda: client.post(path, data or {}))
    client.cookies.pop("messages", None)
    return response


def _batch_like_missing(m: Matrix, who: str, what: str, response: Any, missing: Any, *paths: str) -> None:
    """A batch answers 200 with per-row errors: an out-of-scope row's answer must equal a missing row's."""
    from tests.scoping import normalized_body

    if (response.status_code, normalized_body(response, *paths)) != (
        missing.status_code,
        normalized_body(missing, *paths),
    ):
        m.fail(f"{who} {what}: out-of-scope row answered differently from a missing row ({response.status_code})")


# ------------------------------------------------------------------------------------------------
# Reference data: quote, products, public key
# ------------------------------------------------------------------------------------------------


def _reference(path: str) -> Callable[[Matrix], None]:
    def check(m: Matrix) -> None:
        _seed(m)
        for name, user in m.personas.items():
            m.calls[f"GET {path}"] += 1
            response = m.api_clients[name].get(f"{API}{path}")
            if response.status_code != 200:
                m.fail(f"{name} GET {path}: {response.status_code}")
            m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households))

    return check


# ------------------------------------------------------------------------------------------------
# Details and lists of loans, lines, consents
# ------------------------------------------------------------------------------------------------


def api_loan_detail(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.get(f"{API}/lending/loans/{MISSING}")
        for pk, loan in seed["loans"].items():
            m.calls["GET /lending/loans/{id}"] += 1
            m.note_relation(user, loan.region_code)
            path = f"{API}/lending/loans/{loan.pk}"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, _hidden(m, user, pk) | (set(m.oracle.households) - {pk}))
            if row_visible(m, user, pk, loan.bank_id):
                if response.status_code != 200 or response.json()["id"] != loan.pk:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, str(loan.pk), str(MISSING))


def api_loan_list(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        m.calls["GET /lending/loans"] += 1
        response = client.get(f"{API}/lending/loans")
        expected = {loan.pk for pk, loan in seed["loans"].items() if row_visible(m, user, pk, loan.bank_id)}
        got = {item["id"] for item in response.json().get("items", [])} if response.status_code == 200 else set()
        if response.status_code != 200 or got != expected:
            m.fail(f"{name} GET /lending/loans: {response.status_code} {sorted(got)} != {sorted(expected)}")
        m.check_no_leak(name, "GET /lending/loans", response, _hidden(m, user))
        missing = client.get(f"{API}/lending/loans?region={MISSING_REGION}")
        for code in m.oracle.regions:
            if code not in m.oracle.regions_for(user, "view"):
                m.calls["GET /lending/loans?region"] += 1
                out = client.get(f"{API}/lending/loans?region={code}")
                m.check_like_missing(name, f"GET /lending/loans?region={code}", out, missing, code, MISSING_REGION)


def api_pre_approved(m: Matrix) -> None:
    from creditvillage.lending.models import CreditLine

    _seed(m)
    for name, user in m.personas.items():
        m.calls["GET /lending/pre-approved"] += 1
        response = m.api_clients[name].get(f"{API}/lending/pre-approved")
        if not _is_officer(m, user):
            if response.status_code != 403:
                m.fail(f"{name} GET /lending/pre-approved: {response.status_code}, expected 403")
            continue
        expected = {ln.pk for ln in CreditLine.objects.all() if row_visible(m, user, ln.household_id, ln.bank_id)}
        got = {item["id"] for item in response.json()["items"]}
        if got != expected:
            m.fail(f"{name} GET /lending/pre-approved: {sorted(got)} != {sorted(expected)}")
        m.check_no_leak(name, "GET /lending/pre-approved", response, _hidden(m, user))


def api_attestation(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.get(f"{API}/lending/households/{MISSING}/attestation")
        for pk in m.oracle.households:
            m.calls["GET /lending/households/{id}/attestation"] += 1
            path = f"{API}/lending/households/{pk}/attestation"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households))  # ids and grade only
            if not _bank_persona(m, user):
                if response.status_code != 403:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 403 for a non-bank")
                continue
            bank_ids = {g.bank_id for g in m.oracle.grants(user, "view") if g.bank_id}
            if any(row_visible(m, user, pk, b) for b in bank_ids):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, str(pk), str(MISSING))
    assert seed


def api_bank_reads(m: Matrix) -> None:
    _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.get(f"{API}/lending/households/{MISSING}/bank-reads")
        auditable = m.oracle.households_for(user, "audit")
        for pk in m.oracle.households:
            m.calls["GET /lending/households/{id}/bank-reads"] += 1
            path = f"{API}/lending/households/{pk}/bank-reads"
            response = client.get(path)
            own = any(g.household_id == pk for g in m.oracle.grants(user, "view"))
            if own or pk in auditable:
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, str(pk), str(MISSING))


def api_consent_list(m: Matrix) -> None:
    from creditvillage.lending.models import Consent

    _seed(m)
    for name, user in m.personas.items():
        m.calls["GET /lending/consents"] += 1
        response = m.api_clients[name].get(f"{API}/lending/consents")
        expected = set()
        for c in Consent.objects.all():
            if user.is_superuser or any(
                m.oracle.households[c.household_id].region_id.startswith(g.prefix)
                and g.merchant_id is None
                and (g.household_id is None or g.household_id == c.household_id)
                and (g.bank_id is None or g.bank_id == c.bank_id)
                for g in m.oracle.grants(user, "view")
            ):
                expected.add(c.pk)
        got = {item["id"] for item in response.json()} if response.status_code == 200 else set()
        if got != expected:
            m.fail(f"{name} GET /lending/consents: {sorted(got)} != {sorted(expected)}")


# ------------------------------------------------------------------------------------------------
# Writes: refused out of scope exactly like a missing target, and nothing changes
# ------------------------------------------------------------------------------------------------


def _write_check(
    m: Matrix,
    label: str,
    targets: list[tuple[int, str, bool]],  # (id, region code, allowed for this persona?) per persona below
    call: Callable[[Any, int], Any],
    allowed: Callable[[User, int], bool],
    hidden_of: Callable[[User, int], set[int]],
    visible: Callable[[User, int], bool] | None = None,
) -> None:
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = _rolled_back(lambda client=client: call(client, MISSING))
        before = snapshot()
        for target, region_code, _flag in targets:
            m.calls[label] += 1
            m.note_relation(user, region_code)
            response = _rolled_back(lambda client=client, target=target: call(client, target))
            m.check_no_leak(name, f"{label} {target}", response, hidden_of(user, target))
            if allowed(user, target):
                if response.status_code >= 500 or response.status_code == 404:
                    m.fail(f"{name} {label} {target}: {response.status_code} for a permitted target")
                continue
            if visible is not None and visible(user, target):
                if response.status_code not in (403, 404, 409, 422):
                    m.fail(f"{name} {label} {target}: {response.status_code}, expected a refusal")
                continue
            m.check_like_missing(name, f"{label} {target}", response, missing, str(target), str(MISSING))
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} {label}: refused writes changed {diff}")


def _loan_targets(m: Matrix) -> list[tuple[int, str, bool]]:
    return [(loan.pk, loan.region_code, False) for loan in _seed(m)["loans"].values()]


def _loan_by_id(m: Matrix, pk: int) -> Any:
    return next((loan for loan in _seed(m)["loans"].values() if loan.pk == pk), None)


def _loan_write(path: str, body: dict[str, Any], who: str) -> Callable[[Matrix], None]:
    def check(m: Matrix) -> None:
        def allowed(user: User, pk: int) -> bool:
            loan = _loan_by_id(m, pk)
            if loan is None or not row_visible(m, user, loan.household_id, loan.bank_id):
                return False
            if who == "bank":
                return _is_officer_of(m, user, loan.bank_id, loan.region_code)
            return True

        def hidden(user: User, pk: int) -> set[int]:
            loan = _loan_by_id(m, pk)
            keep = (
                {loan.household_id}
                if loan is not None and row_visible(m, user, loan.household_id, loan.bank_id)
                else set()
            )
            return set(m.oracle.households) - keep

        def visible(user: User, pk: int) -> bool:
            loan = _loan_by_id(m, pk)
            return loan is not None and row_visible(m, user, loan.household_id, loan.bank_id)

        _write_check(
            m,
            f"POST {path}",
            _loan_targets(m),
            lambda client, pk: client.post(f"{API}{path.format(pk=pk)}", body, content_type="application/json"),
            allowed,
            hidden,
            visible,
        )

    return check


def api_consent_revoke(m: Matrix) -> None:
    from creditvillage.lending.models import Consent

    _seed(m)
    consents = list(Consent.objects.filter(revoked_at__isnull=True))
    by_id = {c.pk: c for c in consents}

    def allowed(user: User, pk: int) -> bool:
        c = by_id.get(pk)
        if c is None:
            return False
        own = any(g.household_id == c.household_id for g in m.oracle.grants(user, "apply"))
        return own or c.household_id in m.oracle.households_for(user, "change")

    _write_check(
        m,
        "POST /lending/consents/{id}/revoke",
        [(c.pk, m.oracle.households[c.household_id].region_id, False) for c in consents],
        lambda client, pk: client.post(f"{API}/lending/consents/{pk}/revoke"),
        allowed,
        lambda user, pk: set(m.oracle.households) - ({by_id[pk].household_id} if allowed(user, pk) else set()),
    )


def api_consent_create(m: Matrix) -> None:
    seed = _seed(m)
    bank = seed["bank"]
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = _rolled_back(
            lambda client=client: client.post(
                f"{API}/lending/consents",
                {"household_id": MISSING, "bank_id": bank.pk},
                content_type="application/json",
            )
        )
        before = snapshot()
        for pk, household in m.oracle.households.items():
            m.calls["POST /lending/consents"] += 1
            body = {"household_id": pk, "bank_id": bank.pk}
            response = _rolled_back(
                lambda client=client, body=body: client.post(
                    f"{API}/lending/consents", body, content_type="application/json"
                )
            )
            own = any(g.household_id == pk for g in m.oracle.grants(user, "apply"))
            m.check_no_leak(name, f"POST /lending/consents {pk}", response, set(m.oracle.households) - {pk})
            if own or (user.is_superuser and False):
                continue
            if pk in m.oracle.households_for(user, "view") or user.is_superuser:
                if response.status_code not in (403, 404, 422):
                    m.fail(f"{name} POST /lending/consents {pk}: {response.status_code}, expected a refusal")
                continue
            m.check_like_missing(name, f"POST /lending/consents {pk}", response, missing, str(pk), str(MISSING))
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST /lending/consents: changed {diff}")


def api_loan_apply(m: Matrix) -> None:
    seed = _seed(m)
    lines = {loan.line_id: loan for loan in seed["loans"].values()}

    def post(client: Any, line_id: int) -> Any:
        files = {}
        for key in ("id_document", "certificate"):
            f = io.BytesIO(PNG)
            f.name = f"{key}.png"
            files[key] = f
        data = {"line_id": line_id, "amount_yuan": "100", "term_months": 12, "purpose": "x", **files}
        return client.post(f"{API}/lending/loans", data)

    def allowed(user: User, line_id: int) -> bool:
        loan = lines.get(line_id)
        return loan is not None and any(g.household_id == loan.household_id for g in m.oracle.grants(user, "apply"))

    def hidden(user: User, line_id: int) -> set[int]:
        loan = lines.get(line_id)
        keep = (
            {loan.household_id} if loan is not None and row_visible(m, user, loan.household_id, loan.bank_id) else set()
        )
        return set(m.oracle.households) - keep

    targets = [(line_id, loan.region_code, False) for line_id, loan in lines.items()]
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = _rolled_back(lambda client=client: post(client, MISSING))
        before = snapshot()
        for line_id, region_code, _ in targets:
            m.calls["POST /lending/loans"] += 1
            response = _rolled_back(lambda client=client, line_id=line_id: post(client, line_id))
            m.check_no_leak(name, f"POST /lending/loans line {line_id}", response, hidden(user, line_id))
            if allowed(user, line_id):
                if response.status_code != 201:
                    m.fail(f"{name} POST /lending/loans line {line_id}: {response.status_code}, expected 201")
                continue
            loan = lines[line_id]
            if row_visible(m, user, loan.household_id, loan.bank_id):
                if response.status_code not in (403, 404):
                    m.fail(f"{name} POST /lending/loans line {line_id}: {response.status_code}, expected a refusal")
                continue
            m.check_like_missing(name, f"POST /lending/loans {line_id}", response, missing, str(line_id), str(MISSING))
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST /lending/loans: refused applications changed {diff}")


def api_repayments(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]

        def post(pk: int, client: Any = client) -> Any:
            item = {"loan_id": pk, "amount_yuan": "1.00", "paid_on": "2026-02-01", "reference": f"M-{pk}"}
            return client.post(f"{API}/lending/repayments", {"items": [item]}, content_type="application/json")

        missing = _rolled_back(lambda post=post: post(MISSING))
        before = snapshot()
        for pk, loan in seed["loans"].items():
            m.calls["POST /lending/repayments"] += 1
            response = _rolled_back(lambda post=post, loan=loan: post(loan.pk))
            m.check_no_leak(name, "POST /lending/repayments", response, set(m.oracle.households) - {pk})
            if not _is_officer(m, user):
                if response.status_code != 403:
                    m.fail(f"{name} POST /lending/repayments: {response.status_code}, expected 403")
                continue
            if not row_visible(m, user, pk, loan.bank_id):
                _batch_like_missing(
                    m, name, f"POST /lending/repayments {loan.pk}", response, missing, str(loan.pk), str(MISSING)
                )
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST /lending/repayments: changed {diff}")


def api_repayments_xlsx(m: Matrix) -> None:
    import xlsxwriter

    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]

        def post(pk: int, client: Any = client) -> Any:
            buffer = io.BytesIO()
            book = xlsxwriter.Workbook(buffer)
            sheet = book.add_worksheet()
            for col, value in enumerate(["贷款编号", "还款金额（元）", "还款日期", "流水号"]):
                sheet.write_string(0, col, value)
            for col, value in enumerate([str(pk), "1.00", "2026-02-01", f"X-{pk}"]):
                sheet.write_string(1, col, value)
            book.close()
            buffer.seek(0)
            buffer.name = "r.xlsx"
            return client.post(f"{API}/lending/repayments/upload", {"file": buffer})

        missing = _rolled_back(lambda post=post: post(MISSING))
        before = snapshot()
        for pk, loan in list(seed["loans"].items())[::3]:
            m.calls["POST /lending/repayments/upload"] += 1
            response = _rolled_back(lambda post=post, loan=loan: post(loan.pk))
            if not _is_officer(m, user):
                if response.status_code != 403:
                    m.fail(f"{name} POST /lending/repayments/upload: {response.status_code}, expected 403")
                continue
            if not row_visible(m, user, pk, loan.bank_id):
                _batch_like_missing(
                    m, name, "POST /lending/repayments/upload", response, missing, str(loan.pk), str(MISSING)
                )
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST /lending/repayments/upload: changed {diff}")


def _village_op(method: str) -> Callable[[Matrix], None]:
    def check(m: Matrix) -> None:
        seed = _seed(m)
        product = seed["products"][seed["bank"].pk]
        villages = [code for code, r in m.oracle.regions.items() if r.level == "village"]
        for name, user in m.personas.items():
            client = m.api_clients[name]

            def call(code: str, client: Any = client) -> Any:
                if method == "GET":
                    return client.get(f"{API}/lending/villages/{code}/grant-preview?product_id={product.pk}")
                return client.post(
                    f"{API}/lending/villages/{code}/grant", {"product_id": product.pk}, content_type="application/json"
                )

            missing = _rolled_back(lambda call=call: call(MISSING_REGION))
            before = snapshot()
            visible = m.oracle.households_for(user, "view")
            for code in villages:
                m.calls[f"{method} /lending/villages/{{code}}/grant"] += 1
                m.note_relation(user, code)
                response = _rolled_back(lambda call=call, code=code: call(code))
                m.check_no_leak(name, f"{method} grant {code}", response, set(m.oracle.households) - visible)
                if _is_officer_of(m, user, seed["bank"].pk, code):
                    if response.status_code not in (200, 201):
                        m.fail(f"{name} {method} grant {code}: {response.status_code}, expected success")
                    continue
                if not _is_officer(m, user):
                    if response.status_code != 403:
                        m.fail(f"{name} {method} grant {code}: {response.status_code}, expected 403")
                    continue
                m.check_like_missing(name, f"{method} grant {code}", response, missing, code, MISSING_REGION)
            if diff := snapshot_diff(before, snapshot()):
                m.fail(f"{name} {method} grant: changed {diff}")

    return check


def api_validation(m: Matrix) -> None:
    _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        counted = m.oracle.households_for(user, "view_stats")
        visible_regions = m.oracle.regions_for(user, "view")
        missing = client.get(f"{API}/lending/validation?region={MISSING_REGION}&year=2026")
        for code in m.oracle.regions:
            m.calls["GET /lending/validation"] += 1
            response = client.get(f"{API}/lending/validation?region={code}&year=2026")
            if code not in visible_regions:
                m.check_like_missing(name, f"GET validation {code}", response, missing, code, MISSING_REGION)
                continue
            expected = len(counted & m.oracle.under(code))
            if response.status_code == 200:
                if response.json()["subjects"] != expected:
                    m.fail(f"{name} GET validation {code}: {response.json()['subjects']} != {expected}")
            elif not (response.status_code == 404 and expected == 0):
                m.fail(f"{name} GET validation {code}: {response.status_code}")
            m.check_no_leak(name, f"GET validation {code}", response, set(m.oracle.households))


API_CASES: dict[tuple[str, str], Callable[[Matrix], None] | str] = {
    ("GET", f"{API}/credit-policies/{{preset}}/quote"): _reference(
        "/credit-policies/tianchang/quote?subject_type=household&grade=AA"
    ),
    ("GET", f"{API}/lending/products"): _reference("/lending/products"),
    ("GET", f"{API}/lending/attestations/public-key"): _reference("/lending/attestations/public-key"),
    ("GET", f"{API}/lending/consents"): api_consent_list,
    ("POST", f"{API}/lending/consents"): api_consent_create,
    ("POST", f"{API}/lending/consents/{{consent_id}}/revoke"): api_consent_revoke,
    ("GET", f"{API}/lending/households/{{household_id}}/bank-reads"): api_bank_reads,
    ("GET", f"{API}/lending/pre-approved"): api_pre_approved,
    ("GET", f"{API}/lending/households/{{household_id}}/attestation"): api_attestation,
    ("GET", f"{API}/lending/villages/{{code}}/grant-preview"): _village_op("GET"),
    ("POST", f"{API}/lending/villages/{{code}}/grant"): _village_op("POST"),
    ("GET", f"{API}/lending/loans"): api_loan_list,
    ("POST", f"{API}/lending/loans"): api_loan_apply,
    ("GET", f"{API}/lending/loans/{{loan_id}}"): api_loan_detail,
    ("POST", f"{API}/lending/loans/{{loan_id}}/decision"): _loan_write(
        "/lending/loans/{pk}/decision", {"approve": False, "reason": "matrix"}, "bank"
    ),
    ("POST", f"{API}/lending/loans/{{loan_id}}/check"): _loan_write(
        "/lending/loans/{pk}/check", {"approve": True}, "bank"
    ),
    ("POST", f"{API}/lending/loans/{{loan_id}}/disburse"): _loan_write("/lending/loans/{pk}/disburse", {}, "bank"),
    ("POST", f"{API}/lending/repayments"): api_repayments,
    ("POST", f"{API}/lending/repayments/upload"): api_repayments_xlsx,
    ("GET", f"{API}/lending/validation"): api_validation,
}


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------


def page_home(m: Matrix) -> None:
    _seed(m)
    for name, user in m.personas.items():
        m.calls["GET /lending/"] += 1
        response = m.page_clients[name].get("/lending/")
        if response.status_code not in (200, 403):
            m.fail(f"{name} GET /lending/: {response.status_code}")
        m.check_no_leak(name, "GET /lending/", response, _hidden(m, user))


def page_loan(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/lending/loans/{MISSING}/"
        missing = client.get(missing_path)
        for pk, loan in seed["loans"].items():
            m.calls["GET /lending/loans/<pk>/"] += 1
            path = f"/lending/loans/{loan.pk}/"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households) - {pk})
            if row_visible(m, user, pk, loan.bank_id):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_loan_action(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        before = snapshot()
        data = {"approve": "0", "reason": "m", "note": "m"}
        for action in ("decide", "recommend", "disburse", "withdraw"):
            missing_path = f"/lending/loans/{MISSING}/{action}/"
            missing = _page_post(client, missing_path, data)
            for pk, loan in seed["loans"].items():
                m.calls["POST /lending/loans/<pk>/<action>/"] += 1
                path = f"/lending/loans/{loan.pk}/{action}/"
                response = _page_post(client, path, data)
                if not row_visible(m, user, pk, loan.bank_id):
                    m.check_like_missing(name, f"POST {path}", response, missing, path, missing_path)
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST loan actions: changed {diff}")


def page_line_apply(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/lending/lines/{MISSING}/apply/"
        missing = client.get(missing_path)
        for pk, loan in seed["loans"].items():
            m.calls["GET /lending/lines/<pk>/apply/"] += 1
            path = f"/lending/lines/{loan.line_id}/apply/"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households) - {pk})
            own = any(g.household_id == pk for g in m.oracle.grants(user, "apply"))
            if own:
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}")
            elif not user.is_superuser:
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_grant(m: Matrix) -> None:
    seed = _seed(m)
    product = seed["products"][seed["bank"].pk]
    villages = [code for code, r in m.oracle.regions.items() if r.level == "village"]
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/lending/products/{product.pk}/grant/{MISSING_REGION}/"
        missing = client.get(missing_path)
        visible = m.oracle.households_for(user, "view")
        for code in villages:
            m.calls["GET /lending/products/<pk>/grant/<code>/"] += 1
            path = f"/lending/products/{product.pk}/grant/{code}/"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households) - visible)
            if _is_officer_of(m, user, seed["bank"].pk, code):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}")
            elif _is_officer(m, user):
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)
            elif response.status_code != 403:
                m.fail(f"{name} GET {path}: {response.status_code}, expected 403")


def page_grant_print(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/lending/grants/{MISSING}/print/"
        missing = client.get(missing_path)
        for grant in seed["grants"].values():
            m.calls["GET /lending/grants/<pk>/print/"] += 1
            path = f"/lending/grants/{grant.pk}/print/"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, _hidden(m, user))
            seen = user.is_superuser or any(
                grant.region_code.startswith(g.prefix)
                and g.merchant_id is None
                and g.household_id is None
                and (g.bank_id is None or g.bank_id == grant.bank_id)
                for g in m.oracle.grants(user, "view")
            )
            if seen:
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_consents(m: Matrix) -> None:
    _seed(m)
    for name, user in m.personas.items():
        m.calls["GET /lending/consents/"] += 1
        response = m.page_clients[name].get("/lending/consents/")
        own = [g.household_id for g in m.oracle.grants(user, "apply") if g.household_id]
        if own and response.status_code != 200:
            m.fail(f"{name} GET /lending/consents/: {response.status_code}")
        if not own and response.status_code != 403:
            m.fail(f"{name} GET /lending/consents/: {response.status_code}, expected 403")
        m.check_no_leak(name, "GET /lending/consents/", response, set(m.oracle.households) - set(own))


def page_consent_revoke(m: Matrix) -> None:
    from creditvillage.lending.models import Consent

    _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/lending/consents/{MISSING}/revoke/"
        missing = _page_post(client, missing_path)
        before = snapshot()
        for c in Consent.objects.filter(revoked_at__isnull=True):
            m.calls["POST /lending/consents/<pk>/revoke/"] += 1
            path = f"/lending/consents/{c.pk}/revoke/"
            response = _page_post(client, path)
            own = any(g.household_id == c.household_id for g in m.oracle.grants(user, "apply"))
            if own or c.household_id in m.oracle.households_for(user, "change"):
                continue
            m.check_like_missing(name, f"POST {path}", response, missing, path, missing_path)
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST consent revoke: changed {diff}")


def page_paper_consent(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        may = user.is_superuser or bool(m.oracle.grants(user, "change"))
        before = snapshot()
        for pk in m.oracle.households:
            m.calls["POST /lending/consents/paper/"] += 1
            f = io.BytesIO(PNG)
            f.name = "s.png"
            data = {"household": pk, "bank": seed["bank"].pk, "purpose": "x", "signature": f}
            response = _page_post(client, "/lending/consents/paper/", data)
            if not may:
                if response.status_code != 403:
                    m.fail(f"{name} POST paper consent: {response.status_code}, expected 403")
                continue
            m.check_no_leak(
                name, "POST paper consent", response, set(m.oracle.households) - m.oracle.households_for(user)
            )
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST paper consent: changed {diff}")  # every permitted one was rolled back


def page_product(m: Matrix) -> None:
    seed = _seed(m)
    for name in m.personas:
        for product in seed["products"].values():
            m.calls["GET /lending/products/<pk>/"] += 1
            response = m.page_clients[name].get(f"/lending/products/{product.pk}/")
            if response.status_code != 200:
                m.fail(f"{name} GET product: {response.status_code}")
            if any(h.head_name in response_text(response) for h in m.oracle.households.values()):
                m.fail(f"{name} GET product: personal data")


PAGE_CASES: dict[str, Callable[[Matrix], None] | str] = {
    "lending:home": page_home,
    "lending:product": page_product,
    "lending:grant": page_grant,
    "lending:grant-print": page_grant_print,
    "lending:consents": page_consents,
    "lending:consent-revoke": page_consent_revoke,
    "lending:paper-consent": page_paper_consent,
    "lending:apply": page_line_apply,
    "lending:loan": page_loan,
    "lending:loan-action": page_loan_action,
}


# ------------------------------------------------------------------------------------------------
# Risk sharing (风险补偿金, 4321), the validation page, the bank's pre-approved list and uploads
# ------------------------------------------------------------------------------------------------

FUND_ROLES = {"admin", "regulator", "township_operator", "auditor", "bank_officer"}
MISSING_FUND = 99_999_994


def _fund_seed(m: Matrix) -> dict[str, Any]:
    """Two county funds (金安区, 天长市) with a deposit each, and a 4321 split for every seed loan."""
    cached = getattr(m, "_lending_fund_seed", None)
    if cached is not None:
        return cached
    from creditvillage.lending import risk
    from creditvillage.lending.models import LossShare, RiskFund

    seed = _seed(m)
    funds = {}
    for county, name in (("341502", "金安区风险补偿金"), ("341181", "天长市风险补偿金")):
        fund = RiskFund.objects.create(region=m.world.region(county), name=name, per_loan_cap_fen=5_000_000)
        risk.fund_deposit(actor=None, fund=fund, amount_fen=100_000_000, reason="注资")
        funds[county] = fund
    for loan in seed["loans"].values():
        parts = risk.split_4321(1_000_003)
        LossShare.objects.create(
            loan=loan,
            region_code=loan.region_code,
            loss_fen=1_000_003,
            guarantor_fen=parts["guarantor"],
            reguarantor_fen=parts["reguarantor"],
            bank_fen=parts["bank"],
            government_fen=parts["government"],
        )
    out = {"funds": funds}
    m._lending_fund_seed = out  # type: ignore[attr-defined]
    return out


def fund_visible(m: Matrix, user: User, county: str) -> bool:
    """A fund is seen by a grant of a fund role at or above its county, or inside it."""
    if user.is_superuser:
        return True
    return any(
        g.role in FUND_ROLES
        and g.household_id is None
        and g.merchant_id is None
        and (county.startswith(g.prefix) or g.prefix.startswith(county))
        for g in m.oracle.grants(user, "view_stats")
    )


def fund_admin(m: Matrix, user: User, county: str) -> bool:
    return user.is_superuser or any(county.startswith(g.prefix) for g in m.oracle.grants(user, "configure"))


def _fund_viewer(m: Matrix, user: User) -> bool:
    return user.is_superuser or any(
        g.role in FUND_ROLES and g.household_id is None and g.merchant_id is None
        for g in m.oracle.grants(user, "view_stats")
    )


def _share_visible(m: Matrix, user: User, household_id: int, bank_id: int) -> bool:
    """Loss shares have no household narrowing: a household's own grant sees none."""
    if user.is_superuser:
        return True
    household = m.oracle.households[household_id]
    return any(
        household.region_id.startswith(g.prefix)
        and g.merchant_id is None
        and g.household_id is None
        and (g.bank_id is None or (g.bank_id == bank_id and _consented(household_id, bank_id)))
        for g in m.oracle.grants(user, "view")
    )


def api_fund_list(m: Matrix) -> None:
    funds = _fund_seed(m)["funds"]
    for name, user in m.personas.items():
        m.calls["GET /lending/funds"] += 1
        response = m.api_clients[name].get(f"{API}/lending/funds")
        expected = {f.pk for county, f in funds.items() if fund_visible(m, user, county)}
        got = {item["id"] for item in response.json()} if response.status_code == 200 else set()
        if response.status_code != 200 or got != expected:
            m.fail(f"{name} GET /lending/funds: {response.status_code} {sorted(got)} != {sorted(expected)}")
        m.check_no_leak(name, "GET /lending/funds", response, set(m.oracle.households))


def api_fund_detail(m: Matrix) -> None:
    funds = _fund_seed(m)["funds"]
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.get(f"{API}/lending/funds/{MISSING_FUND}")
        for county, fund in funds.items():
            m.calls["GET /lending/funds/{id}"] += 1
            m.note_relation(user, fund.region_id)
            response = client.get(f"{API}/lending/funds/{fund.pk}")
            m.check_no_leak(name, f"GET fund {fund.pk}", response, set(m.oracle.households))
            if fund_visible(m, user, county):
                if response.status_code != 200 or response.json()["id"] != fund.pk:
                    m.fail(f"{name} GET fund {fund.pk}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET fund {fund.pk}", response, missing, str(fund.pk), str(MISSING_FUND))


def api_fund_deposit(m: Matrix) -> None:
    funds = _fund_seed(m)["funds"]
    body = {"amount_yuan": "1.00", "reason": "matrix"}
    for name, user in m.personas.items():
        client = m.api_clients[name]

        def post(pk: int, client: Any = client) -> Any:
            return client.post(f"{API}/lending/funds/{pk}/deposits", body, content_type="application/json")

        missing = _rolled_back(lambda post=post: post(MISSING_FUND))
        before = snapshot()
        for county, fund in funds.items():
            m.calls["POST /lending/funds/{id}/deposits"] += 1
            response = _rolled_back(lambda post=post, fund=fund: post(fund.pk))
            if fund_admin(m, user, county):
                if response.status_code != 201:
                    m.fail(f"{name} POST deposit {fund.pk}: {response.status_code}, expected 201")
            elif fund_visible(m, user, county):
                if response.status_code != 403:
                    m.fail(f"{name} POST deposit {fund.pk}: {response.status_code}, expected 403")
            else:
                m.check_like_missing(
                    name, f"POST deposit {fund.pk}", response, missing, str(fund.pk), str(MISSING_FUND)
                )
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST deposits: changed {diff}")


def _defaulted_post(client: Any, path: str, pk: int, data: dict[str, Any], json: bool) -> Any:
    """Make the loan defaulted (and guaranteed) and post, all rolled back."""
    from creditvillage.lending.models import Loan

    def call() -> Any:
        Loan.objects.filter(pk=pk).update(status="defaulted", principal_outstanding_fen=1_000_000, guaranteed=True)
        if json:
            return client.post(path, data, content_type="application/json")
        client.cookies.pop("messages", None)
        return client.post(path, data)

    response = _rolled_back(call)
    client.cookies.pop("messages", None)
    return response


def _county(code: str) -> str:
    return code[:6]


def api_loan_compensate(m: Matrix) -> None:
    seed = _seed(m)
    _fund_seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = _defaulted_post(client, f"{API}/lending/loans/{MISSING}/compensate", MISSING, {}, True)
        before = snapshot()
        for pk, loan in seed["loans"].items():
            m.calls["POST /lending/loans/{id}/compensate"] += 1
            m.note_relation(user, loan.region_code)
            path = f"{API}/lending/loans/{loan.pk}/compensate"
            response = _defaulted_post(client, path, loan.pk, {}, True)
            visible = row_visible(m, user, pk, loan.bank_id)
            m.check_no_leak(name, f"POST {path}", response, set(m.oracle.households) - ({pk} if visible else set()))
            county = _county(loan.region_code)
            if visible and fund_visible(m, user, county):
                expected = 201 if fund_admin(m, user, county) else 403
                if response.status_code != expected:
                    m.fail(f"{name} POST {path}: {response.status_code}, expected {expected}")
                continue
            m.check_like_missing(name, f"POST {path}", response, missing, str(loan.pk), str(MISSING))
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST compensate: changed {diff}")


def api_loss_shares(m: Matrix) -> None:
    seed = _seed(m)
    _fund_seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        m.calls["GET /lending/loss-shares"] += 1
        response = client.get(f"{API}/lending/loss-shares")
        expected = {loan.pk for pk, loan in seed["loans"].items() if _share_visible(m, user, pk, loan.bank_id)}
        got = {item["loan_id"] for item in response.json().get("items", [])} if response.status_code == 200 else set()
        if response.status_code != 200 or got != expected:
            m.fail(f"{name} GET /lending/loss-shares: {response.status_code} {sorted(got)} != {sorted(expected)}")
        m.check_no_leak(name, "GET /lending/loss-shares", response, set(m.oracle.households))
        missing = client.get(f"{API}/lending/loss-shares?region={MISSING_REGION}")
        for code in m.oracle.regions:
            if code not in m.oracle.regions_for(user, "view"):
                m.calls["GET /lending/loss-shares?region"] += 1
                out = client.get(f"{API}/lending/loss-shares?region={code}")
                m.check_like_missing(name, f"GET loss-shares?region={code}", out, missing, code, MISSING_REGION)


API_CASES.update(
    {
        ("GET", f"{API}/lending/funds"): api_fund_list,
        ("GET", f"{API}/lending/funds/{{fund_id}}"): api_fund_detail,
        ("POST", f"{API}/lending/funds/{{fund_id}}/deposits"): api_fund_deposit,
        ("POST", f"{API}/lending/loans/{{loan_id}}/compensate"): api_loan_compensate,
        ("GET", f"{API}/lending/loss-shares"): api_loss_shares,
    }
)


def page_funds(m: Matrix) -> None:
    funds = _fund_seed(m)["funds"]
    for name, user in m.personas.items():
        m.calls["GET /lending/funds/"] += 1
        response = m.page_clients[name].get("/lending/funds/")
        m.check_no_leak(name, "GET /lending/funds/", response, set(m.oracle.households))
        if not _fund_viewer(m, user):
            if response.status_code != 403:
                m.fail(f"{name} GET /lending/funds/: {response.status_code}, expected 403")
            continue
        text = response_text(response)
        for county, fund in funds.items():
            if (f'data-fund="{fund.pk}"' in text) != fund_visible(m, user, county):
                m.fail(f"{name} GET /lending/funds/: fund {county} shown={not fund_visible(m, user, county)}")


def page_fund(m: Matrix) -> None:
    funds = _fund_seed(m)["funds"]
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/lending/funds/{MISSING_FUND}/"
        missing = client.get(missing_path)
        for county, fund in funds.items():
            m.calls["GET /lending/funds/<pk>/"] += 1
            path = f"/lending/funds/{fund.pk}/"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households))
            if fund_visible(m, user, county):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_fund_deposit(m: Matrix) -> None:
    funds = _fund_seed(m)["funds"]
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/lending/funds/{MISSING_FUND}/deposit/"
        missing = _page_post(client, missing_path, {"amount": "1", "reason": "m"})
        before = snapshot()
        for county, fund in funds.items():
            m.calls["POST /lending/funds/<pk>/deposit/"] += 1
            path = f"/lending/funds/{fund.pk}/deposit/"
            response = _page_post(client, path, {"amount": "1", "reason": "m"})
            if fund_admin(m, user, county):
                if response.status_code != 302:
                    m.fail(f"{name} POST {path}: {response.status_code}, expected 302")
            elif fund_visible(m, user, county):
                if response.status_code != 403:
                    m.fail(f"{name} POST {path}: {response.status_code}, expected 403")
            else:
                m.check_like_missing(name, f"POST {path}", response, missing, path, missing_path)
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST fund deposit: changed {diff}")


def page_compensate(m: Matrix) -> None:
    seed = _seed(m)
    _fund_seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/lending/loans/{MISSING}/compensate/"
        missing = client.get(missing_path)
        missing_post = _defaulted_post(client, missing_path, MISSING, {"op": "compensate"}, False)
        before = snapshot()
        for pk, loan in seed["loans"].items():
            m.calls["GET /lending/loans/<pk>/compensate/"] += 1
            path = f"/lending/loans/{loan.pk}/compensate/"
            visible = row_visible(m, user, pk, loan.bank_id)
            seen = visible and fund_visible(m, user, _county(loan.region_code))
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households) - ({pk} if visible else set()))
            if seen:
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}")
                continue
            m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)
            posted = _defaulted_post(client, path, loan.pk, {"op": "compensate"}, False)
            m.check_like_missing(name, f"POST {path}", posted, missing_post, path, missing_path)
        after = snapshot()
        after.pop("core.AuditEvent", None)  # the GETs log bank reads
        before.pop("core.AuditEvent", None)
        if diff := snapshot_diff(before, after):
            m.fail(f"{name} POST compensate page: changed {diff}")


def page_loss_shares(m: Matrix) -> None:
    seed = _seed(m)
    _fund_seed(m)
    for name, user in m.personas.items():
        m.calls["GET /lending/loss-shares/"] += 1
        response = m.page_clients[name].get("/lending/loss-shares/")
        shown = {pk for pk, loan in seed["loans"].items() if _share_visible(m, user, pk, loan.bank_id)}
        m.check_no_leak(name, "GET /lending/loss-shares/", response, set(m.oracle.households) - shown)
        if not (user.is_superuser or m.oracle.grants(user, "view_stats")):
            if response.status_code != 403:
                m.fail(f"{name} GET /lending/loss-shares/: {response.status_code}, expected 403")
        elif response.status_code != 200:
            m.fail(f"{name} GET /lending/loss-shares/: {response.status_code}")


def page_validation(m: Matrix) -> None:
    _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        stats = user.is_superuser or bool(m.oracle.grants(user, "view_stats"))
        missing_path = f"/lending/validation/?region={MISSING_REGION}&year=2026"
        missing = client.get(missing_path)
        visible_regions = m.oracle.regions_for(user, "view")
        for code in m.oracle.regions:
            m.calls["GET /lending/validation/"] += 1
            path = f"/lending/validation/?region={code}&year=2026"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households))
            if stats and code in visible_regions:
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}")
                continue
            if not stats:
                if response.status_code != 403:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 403")
                continue
            m.check_like_missing(name, f"GET {path}", response, missing, code, MISSING_REGION)


def page_pre_approved(m: Matrix) -> None:
    from creditvillage.lending.models import CreditLine

    _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        m.calls["GET /lending/pre-approved/"] += 1
        response = client.get("/lending/pre-approved/")
        if not _is_officer(m, user):
            if response.status_code != 403:
                m.fail(f"{name} GET /lending/pre-approved/: {response.status_code}, expected 403")
            continue
        text = response_text(response)
        for ln in CreditLine.objects.all():
            if (f'data-line="{ln.pk}"' in text) != row_visible(m, user, ln.household_id, ln.bank_id):
                m.fail(f"{name} GET /lending/pre-approved/: line {ln.pk} wrongly shown or hidden")
        m.check_no_leak(name, "GET /lending/pre-approved/", response, _hidden(m, user))
        missing = client.get(f"/lending/pre-approved/?region={MISSING_REGION}")
        for code in m.oracle.regions:
            if code not in m.oracle.regions_for(user, "view"):
                m.calls["GET /lending/pre-approved/?region"] += 1
                out = client.get(f"/lending/pre-approved/?region={code}")
                m.check_like_missing(name, f"GET pre-approved?region={code}", out, missing, code, MISSING_REGION)


def _xlsx(loan_id: int) -> io.BytesIO:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for col, head in enumerate(("贷款编号", "还款金额（元）", "还款日期", "流水号")):
        sheet.write(0, col, head)
    for col, value in enumerate((loan_id, "1.00", "2026-02-01", f"P-{loan_id}")):
        sheet.write(1, col, value)
    book.close()
    buffer.seek(0)
    buffer.name = "r.xlsx"
    return buffer


def page_repayments_upload(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing = _page_post(client, "/lending/repayments/upload/", {"file": _xlsx(MISSING)})
        before = snapshot()
        for pk, loan in seed["loans"].items():
            m.calls["POST /lending/repayments/upload/"] += 1
            response = _page_post(client, "/lending/repayments/upload/", {"file": _xlsx(loan.pk)})
            if not _is_officer(m, user):
                if response.status_code != 403:
                    m.fail(f"{name} POST /lending/repayments/upload/: {response.status_code}, expected 403")
                continue
            m.check_no_leak(name, "POST repayments upload", response, set(m.oracle.households))
            if not row_visible(m, user, pk, loan.bank_id):
                _batch_like_missing(m, name, "POST repayments upload page", response, missing)
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name} POST /lending/repayments/upload/: changed {diff}")


PAGE_CASES.update(
    {
        "lending:funds": page_funds,
        "lending:fund": page_fund,
        "lending:fund-deposit": page_fund_deposit,
        "lending:compensate": page_compensate,
        "lending:loss-shares": page_loss_shares,
        "lending:validation": page_validation,
        "lending:pre-approved": page_pre_approved,
        "lending:repayments-upload": page_repayments_upload,
    }
)
