"""Scoping-matrix entries of the dashboards: the region figures' Excel export.

Expected visibility is restated from the oracle's grants: a persona gets the workbook for a region
it may view when it holds ``view_stats`` anywhere (the page shows it figures); every other region,
and every persona without ``view_stats``, gets the answer of a region that does not exist. The
workbook holds aggregates only: no household's personal data may appear in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.test_scoping_matrix import Matrix

MISSING_REGION = "349999999999"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_text(content: bytes) -> str:
    """Every cell of every sheet, as a person opening the file would read it."""
    import io

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    cells = (str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row)
    return "\n".join(cells)


def page_region_export(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        visible = m.oracle.regions_for(user, "view") if m.oracle.regions_for(user, "view_stats") else set()
        missing_path = f"/regions/{MISSING_REGION}/export.xlsx"
        missing = client.get(missing_path)
        for code in m.oracle.regions:
            m.calls["GET /regions/<code>/export.xlsx"] += 1
            path = f"/regions/{code}/export.xlsx"
            response = client.get(path)
            if code in visible:
                if response.status_code != 200 or response["Content-Type"] != XLSX:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200 xlsx")
                    continue
                leaks = m.scanner.leaks(workbook_text(response.content), every)
                if leaks:
                    m.fail(f"{name} GET {path}: personal data in the workbook {sorted({pk for pk, _ in leaks})}")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


PAGE_CASES = {"region-export": page_region_export}
