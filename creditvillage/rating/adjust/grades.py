"""The grade ladder a rating was made with, read from the scoring app's grade schemes.

A rating names its model by ``model_code`` + ``model_version``; the version names its grade scheme.
When the scheme cannot be found (a rating written before the scoring app had the model) the
Tianchang six grades are assumed: AAA/AA/A/B/C/D, A and above credit subjects, veto to D.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from creditvillage.rating.models import Rating


@dataclass(frozen=True)
class Ladder:
    grades: tuple[str, ...]  # best first
    credit_subjects: frozenset[str]
    veto_grade: str
    thresholds: tuple[tuple[str, Decimal | None], ...] = ()  # (grade, min_score) best first

    def rank(self, grade: str) -> int:
        """0 = best; unknown grades rank below every known grade."""
        try:
            return self.grades.index(grade)
        except ValueError:
            return len(self.grades)

    def one_below(self, grade: str) -> str:
        index = self.rank(grade)
        return self.grades[min(index + 1, len(self.grades) - 1)]

    def grade_for_score(self, score: Decimal) -> str | None:
        """The best grade whose minimum the score reaches; None when the scheme has no thresholds."""
        if not self.thresholds:
            return None
        for grade, minimum in self.thresholds:
            if minimum is None or score >= minimum:
                return grade
        return self.thresholds[-1][0]


DEFAULT_LADDER = Ladder(
    grades=("AAA", "AA", "A", "B", "C", "D"),
    credit_subjects=frozenset({"AAA", "AA", "A"}),
    veto_grade="D",
)


def ladder_for(rating: Rating) -> Ladder:
    """The grade ladder of the scheme that made ``rating`` (the default ladder when unknown)."""
    try:
        from creditvillage.scoring.models import ModelVersion
    except ImportError:  # pragma: no cover - the scoring app is always installed
        return DEFAULT_LADDER
    version = (
        ModelVersion.objects.filter(model__code=rating.model_code, number=rating.model_version)
        .select_related("grade_scheme")
        .first()
    )
    if version is None:
        return DEFAULT_LADDER
    scheme = version.grade_scheme
    rows = list(scheme.grades.order_by("order").values_list("code", "min_score", "credit_subject"))
    if not rows:
        return DEFAULT_LADDER
    grades = tuple(code for code, _min, _credit in rows)
    if scheme.veto_grade and scheme.veto_grade not in grades:
        grades = (*grades, scheme.veto_grade)
    return Ladder(
        grades=grades,
        credit_subjects=frozenset(code for code, _min, credit in rows if credit),
        veto_grade=scheme.veto_grade or grades[-1],
        thresholds=tuple((code, minimum) for code, minimum, _credit in rows),
    )
