"""Money is stored as integer fen (分) and shown as yuan (元) with Chinese grouping."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100


def yuan_to_fen(value: Decimal | int | float | str) -> int:
    """Convert yuan to integer fen, rounding half up at the fen; raises ValueError on junk."""
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError(f"不是有效的金额：{value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"不是有效的金额：{value!r}")
    return int((amount * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int | None, *, wan: bool = False) -> str:
    """``123456789`` fen → ``"1,234,567.89 元"``; with ``wan=True`` → ``"123.46 万元"``."""
    if fen is None:
        return "—"
    if wan:
        return f"{Decimal(fen) / (FEN_PER_YUAN * 10_000):,.2f} 万元"
    return f"{fen_to_yuan(fen):,.2f} 元"
