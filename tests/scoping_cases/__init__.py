"""Scoping-matrix entries of the apps, one module per app (see ``_app_cases`` in test_scoping_matrix.py).

A module defines ``API_CASES: dict[tuple[method, path], check | reason]`` and
``PAGE_CASES: dict[url_name, check | reason]``; a check is ``def check(m: Matrix) -> None`` that
calls every persona against in-scope, out-of-scope and missing targets and records violations with
``m.fail`` (see the checks in test_scoping_matrix.py for the pattern). Strings are reasons for not
checking (public, admin-only), as in the main matrix. Import ``Matrix`` only under TYPE_CHECKING.
"""
