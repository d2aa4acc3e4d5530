"""Errors raised by the regions services."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from creditvillage.core.errors import DomainError


class RegionsErrorCode(StrEnum):
    DIVISION_FILE_INVALID = "division_file_invalid"


@dataclass(frozen=True)
class DivisionRowError:
    """One problem in a division file: the 1-based line number (the header is line 1), the code, why."""

    row: int
    code: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        return f"{where}（代码 {self.code or '—'}）：{self.message}"


class DivisionFileInvalid(DomainError):
    """The division file has bad rows; nothing was written. ``errors`` lists every problem found."""

    status = 422

    def __init__(self, errors: list[DivisionRowError]) -> None:
        self.errors = errors
        message = f"区划文件有{len(errors)}处错误，未写入任何数据"
        details = {"errors": [{"row": e.row, "code": e.code, "message": e.message} for e in errors]}
        super().__init__(RegionsErrorCode.DIVISION_FILE_INVALID.value, message, details)

    def report(self) -> str:
        """The errors as Chinese text, one per line, for a terminal or a log."""
        return "\n".join([self.message, *(str(error) for error in self.errors)])
