"""The main menu: one entry per area, shown to users holding the entry's action anywhere.

Each app owns its entry's URL name; an entry whose URL does not resolve is a bug and fails
``core/tests/test_nav.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    actions: tuple[str, ...]  # shown when the user holds any of these actions in any role
    prefix: str  # the current page belongs to the entry when its path starts with this


NAV: list[NavEntry] = [
    NavEntry(_("农户档案"), "household-list", ("view",), "/households/"),
    NavEntry(_("采集校核"), "collection:home", ("view",), "/collection/"),
    # Evaluators score; township operators (rate) and village operators (manage_users) run the rounds.
    NavEntry(_("乡风文明评议"), "civility:home", ("evaluate", "rate", "manage_users"), "/civility/"),
    NavEntry(_("评分模型"), "scoring:home", ("configure", "rate"), "/scoring/"),
    NavEntry(_("信用评定"), "rating:home", ("view",), "/rating/"),
    NavEntry(_("信贷"), "lending:home", ("lend", "apply", "manage_users"), "/lending/"),
]
