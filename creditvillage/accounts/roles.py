"""Roles and the actions each allows (domain.md, People and roles).

An action is a verb checked by ``visible_to(actor, action)`` and by services. A role grants its
actions over the subtree of its scope region (narrowed further for households, banks, merchants).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("项目管理员")
    REGULATOR = "regulator", _("金融监管")
    TOWNSHIP_OPERATOR = "township_operator", _("乡镇管理员")
    VILLAGE_OPERATOR = "village_operator", _("村级管理员")
    COLLECTOR = "collector", _("信息采集员")
    EVALUATOR = "evaluator", _("乡风文明评议员")
    AUDITOR = "auditor", _("督查员")
    BANK_OFFICER = "bank_officer", _("金融专干")
    MERCHANT = "merchant", _("商户")
    HOUSEHOLD = "household", _("农户")
    SERVICE_PROVIDER = "service_provider", _("服务机构")


class Action:
    VIEW = "view"  # see records (personal data masked)
    VIEW_SENSITIVE = "view_sensitive"  # see ID numbers, phones, incomes, assets, debts unmasked
    VIEW_STATS = "view_stats"  # see aggregate counts
    CHANGE = "change"  # edit archives
    IMPORT = "import"  # upload Excel imports
    EXPORT = "export"  # export lists to Excel
    VERIFY = "verify"  # township verification (乡校核)
    AUDIT = "audit"  # read audit logs, spot-check (区督查)
    MANAGE_USERS = "manage_users"  # grant roles inside the scope
    CONFIGURE = "configure"  # models, schemes, products, targets
    EVALUATE = "evaluate"  # score civility checklists (乡风文明评议)
    RATE = "rate"  # run rating batches, publish notices, finalise cycles
    DECIDE = "decide"  # decide objections, repair applications, village/township rating reviews
    LEND = "lend"  # credit grants, loan decisions (a bank's own subjects, under consent)
    APPLY = "apply"  # a household acting on its own file: self-declaration, objection, repair, loan application


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            Action.VIEW,
            Action.VIEW_SENSITIVE,
            Action.VIEW_STATS,
            Action.CHANGE,
            Action.IMPORT,
            Action.EXPORT,
            Action.VERIFY,
            Action.AUDIT,
            Action.MANAGE_USERS,
            Action.CONFIGURE,
            Action.EVALUATE,
            Action.RATE,
            Action.DECIDE,
        }
    ),
    Role.REGULATOR: frozenset({Action.VIEW, Action.VIEW_STATS}),
    Role.TOWNSHIP_OPERATOR: frozenset(
        {
            Action.VIEW,
            Action.VIEW_SENSITIVE,
            Action.VIEW_STATS,
            Action.CHANGE,
            Action.IMPORT,
            Action.EXPORT,
            Action.VERIFY,
            Action.MANAGE_USERS,
            Action.RATE,
            Action.DECIDE,
        }
    ),
    Role.VILLAGE_OPERATOR: frozenset(
        {
            Action.VIEW,
            Action.VIEW_SENSITIVE,
            Action.VIEW_STATS,
            Action.CHANGE,
            Action.IMPORT,
            Action.EXPORT,
            Action.MANAGE_USERS,
        }
    ),
    Role.COLLECTOR: frozenset({Action.VIEW, Action.VIEW_SENSITIVE, Action.VIEW_STATS, Action.CHANGE, Action.IMPORT}),
    Role.EVALUATOR: frozenset({Action.VIEW, Action.VIEW_STATS, Action.EVALUATE}),
    Role.AUDITOR: frozenset({Action.VIEW, Action.VIEW_SENSITIVE, Action.VIEW_STATS, Action.AUDIT, Action.EXPORT}),
    # A bank officer reads consented archives only (the scope narrows them), unmasked: the household
    # consented to that bank reading them for credit. Its statistics, too, count consenting households only.
    Role.BANK_OFFICER: frozenset({Action.VIEW, Action.VIEW_SENSITIVE, Action.VIEW_STATS, Action.LEND}),
    Role.MERCHANT: frozenset(),
    Role.HOUSEHOLD: frozenset({Action.VIEW, Action.VIEW_SENSITIVE, Action.APPLY}),
    Role.SERVICE_PROVIDER: frozenset(),
}

# Which roles a holder of a role may grant (always inside their own scope).
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Role.values),
    Role.TOWNSHIP_OPERATOR: frozenset(
        {
            Role.TOWNSHIP_OPERATOR,
            Role.VILLAGE_OPERATOR,
            Role.COLLECTOR,
            Role.EVALUATOR,
            Role.MERCHANT,
            Role.HOUSEHOLD,
        }
    ),
    Role.VILLAGE_OPERATOR: frozenset({Role.COLLECTOR, Role.EVALUATOR, Role.HOUSEHOLD}),
}


def actions_of(role: str) -> frozenset[str]:
    return ROLE_ACTIONS.get(role, frozenset())
