"""The scope oracle and leak detectors shared by the C5 tests (tests/test_scoping_matrix.py).

The oracle recomputes "who may see what" by brute force in plain Python from the role
assignments, the role → action table and the consents: a second, independent statement of the
rules in domain.md (People and roles; Privacy rules). It uses each region's *level* to find its
subtree prefix (province 2 digits … village 12), not ``core.scope.significant_prefix``, and it
never calls ``visible_to``: a bug in the choke point cannot hide itself here.

Rules restated:

* superusers see everything; a user sees nothing through a grant whose role lacks the action;
* a grant covers its region's subtree (the region itself and everything under it);
* a household grant reveals only that household (and its members, its consents), no region;
* a bank grant reveals regions by subtree, but households, members and consents only where the
  household holds an *active* consent for that bank (a bank sees all its own consents, revoked
  ones included, so it knows they were revoked);
* a merchant grant reveals no household, member or consent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.http import HttpResponse

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.accounts.roles import ROLE_ACTIONS
from creditvillage.core.identifiers import mask_mobile, mask_resident_id
from creditvillage.lending.models import Consent
from creditvillage.regions.models import Region
from creditvillage.registry.models import Household, Person

LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


@dataclass(frozen=True)
class OracleGrant:
    role: str
    prefix: str
    household_id: int | None
    bank_id: int | None
    merchant_id: int | None


@dataclass
class Oracle:
    """Brute-force visibility over the whole (small) fixture database, loaded once."""

    regions: dict[str, Region] = field(default_factory=dict)
    households: dict[int, Household] = field(default_factory=dict)
    persons: dict[int, Person] = field(default_factory=dict)
    consents: list[Consent] = field(default_factory=list)

    @classmethod
    def load(cls) -> Oracle:
        return cls(
            regions={r.code: r for r in Region.objects.all()},
            households={h.pk: h for h in Household.objects.all()},
            persons={p.pk: p for p in Person.objects.all()},
            consents=list(Consent.objects.all()),
        )

    def prefix(self, code: str) -> str:
        return code[: LEVEL_DIGITS[self.regions[code].level]]

    def grants(self, user: User, action: str) -> list[OracleGrant]:
        return [
            OracleGrant(a.role, self.prefix(a.region_id), a.household_id, a.bank_id, a.merchant_id)
            for a in RoleAssignment.objects.filter(user=user, is_active=True)
            if action in ROLE_ACTIONS.get(a.role, frozenset())
        ]

    def _consented(self, household_id: int, bank_id: int) -> bool:
        return any(
            c.household_id == household_id and c.bank_id == bank_id and c.revoked_at is None for c in self.consents
        )

    def household_visible(self, grant: OracleGrant, household: Household) -> bool:
        if not household.region_id.startswith(grant.prefix) or grant.merchant_id is not None:
            return False
        if grant.household_id is not None and household.pk != grant.household_id:
            return False
        return grant.bank_id is None or self._consented(household.pk, grant.bank_id)

    def households_for(self, user: User, action: str = "view") -> set[int]:
        if user.is_superuser:
            return set(self.households)
        grants = self.grants(user, action)
        return {pk for pk, h in self.households.items() if any(self.household_visible(g, h) for g in grants)}

    def persons_for(self, user: User, action: str = "view") -> set[int]:
        visible = self.households_for(user, action)
        return {pk for pk, p in self.persons.items() if p.household_id in visible}

    def regions_for(self, user: User, action: str = "view") -> set[str]:
        if user.is_superuser:
            return set(self.regions)
        grants = [g for g in self.grants(user, action) if g.household_id is None and g.merchant_id is None]
        return {code for code in self.regions if any(code.startswith(g.prefix) for g in grants)}

    def consents_for(self, user: User, action: str = "view") -> set[int]:
        if user.is_superuser:
            return {c.pk for c in self.consents}
        out: set[int] = set()
        for g in self.grants(user, action):
            for c in self.consents:
                household = self.households[c.household_id]
                if not household.region_id.startswith(g.prefix) or g.merchant_id is not None:
                    continue
                if g.household_id is not None and c.household_id != g.household_id:
                    continue
                if g.bank_id is not None and c.bank_id != g.bank_id:
                    continue
                out.add(c.pk)
        return out

    def under(self, code: str) -> set[int]:
        """Households in the subtree of region ``code``."""
        prefix = self.prefix(code)
        return {pk for pk, h in self.households.items() if h.region_id.startswith(prefix)}


def relation(scope_code: str, target_code: str) -> str:
    """How ``target`` relates to a persona's scope region: own, child, parent, sibling, other_city, cousin."""
    if target_code == scope_code:
        return "own"
    scope, target = scope_code.rstrip("0"), target_code.rstrip("0")
    if target.startswith(scope):
        return "child"
    if scope.startswith(target):
        return "parent"
    if scope_code[:4] != target_code[:4]:
        return "other_city"
    # Same parent: compare the codes without their last segment.
    lengths = [2, 4, 6, 9, 12]
    depth_scope = next(n for n in lengths if scope_code[n:].strip("0") == "")
    depth_target = next(n for n in lengths if target_code[n:].strip("0") == "")
    if depth_scope == depth_target:
        parent_len = lengths[lengths.index(depth_scope) - 1]
        if scope_code[:parent_len] == target_code[:parent_len]:
            return "sibling"
    return "cousin"


# --- Personal data index and leak scan --------------------------------------------------------


def pii_tokens(household: Household) -> list[str]:
    """Every string that identifies this household or its members, in full and masked forms."""
    tokens = [household.head_name, household.number]
    if household.phone:
        tokens += [household.phone, mask_mobile(household.phone)]
    if household.address:
        tokens.append(household.address)
    for person in household.members.all():
        tokens += [person.name, person.id_number, mask_resident_id(person.id_number)]
        if person.phone:
            tokens += [person.phone, mask_mobile(person.phone)]
    return [t for t in tokens if t]


def _token_pattern(tokens: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted(set(tokens), key=len, reverse=True)
    if not unique:
        return None
    # Not glued to more digits/letters/stars: "户主1" must not match inside "户主12".
    body = "|".join(re.escape(t) for t in unique)
    return re.compile(rf"(?<![0-9A-Za-z*])(?:{body})(?![0-9A-Za-z*])")


class LeakScanner:
    def __init__(self, oracle: Oracle) -> None:
        self.tokens = {pk: pii_tokens(h) for pk, h in oracle.households.items()}
        self.patterns = {pk: _token_pattern(tokens) for pk, tokens in self.tokens.items()}

    def leaks(self, text: str, hidden: Iterable[int]) -> list[tuple[int, str]]:
        """``(household id, token)`` for personal data of ``hidden`` households found in ``text``."""
        found: list[tuple[int, str]] = []
        for pk in hidden:
            pattern = self.patterns[pk] if pk in self.patterns else _token_pattern(self.tokens[pk])
            if pattern is not None:
                found += [(pk, m.group()) for m in pattern.finditer(text)]
        return found


def response_text(response: HttpResponse) -> str:
    """The body as a person would read it: JSON decoded (no \\u escapes), HTML as is."""
    raw = response.content.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(raw), ensure_ascii=False)
        except ValueError:
            return raw
    return raw


# Django's masked CSRF tokens: 64 letters and digits, new on every response.
_CSRF = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def normalized_body(response: HttpResponse, *paths: str) -> str:
    """The body with per-request noise removed (CSRF tokens, the requested path) for comparisons."""
    text = response_text(response)
    text = _CSRF.sub("CSRF", text)
    for path in paths:
        text = text.replace(path, "PATH")
    return text


# --- Table snapshots for "nothing changed" -----------------------------------------------------

SNAPSHOT_APPS = ("regions", "accounts", "registry", "lending", "merchants", "core")
VOLATILE = {
    ("accounts", "user"): {"last_login"},
    ("accounts", "apitoken"): {"last_used_at"},
}
SKIP_MODELS = {("accounts", "loginthrottle")}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the domain tables (minus fields that change on mere reads)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models():
            key = (model._meta.app_label, model._meta.model_name)
            if key in SKIP_MODELS:
                continue
            skip = VOLATILE.get(key, set())
            names = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
            out[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*names))
    return out


def snapshot_diff(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    return [label for label in before if before[label] != after.get(label)]
