"""The hostile import corpus of reliability goal C14, generated on the fly (no binary fixtures).

``corpus(folder)`` writes every file and returns ``{name: (path, expected_code)}``: the code the
upload gate must refuse it with. Used by the tests and handy for fuzzing the gate by hand.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from creditvillage.collection.imports.samples import household_rows, xlsx_bytes

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + ']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    "<si><t>&lol9;</t></si></sst>"
)


def base_xlsx() -> bytes:
    return xlsx_bytes(household_rows(["341502204201"], 2, seed=1))


def rebuild(data: bytes, *, replace: dict[str, bytes | Callable[[], Iterator[bytes]]] | None = None) -> bytes:
    """A copy of the xlsx ``data`` with members replaced or added (a generator streams big ones)."""
    replace = dict(replace or {})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replace:
                target.writestr(info.filename, source.read(info.filename))
        for name, content in replace.items():
            if isinstance(content, bytes):
                target.writestr(name, content)
            else:
                with target.open(name, "w", force_zip64=True) as member:
                    for block in content():
                        member.write(block)
    return out.getvalue()


def _many_rows(count: int) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        yield (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        )
        step = 10_000
        for start in range(1, count + 1, step):
            yield "".join(
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>H{r}</t></is></c></row>'
                for r in range(start, min(start + step, count + 1))
            ).encode()
        yield b"</sheetData></worksheet>"

    return generate


def _bomb(size: int) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        block = b" " * (1024 * 1024)
        yield b'<?xml version="1.0"?><worksheet><sheetData>'
        for _ in range(size // len(block)):
            yield block
        yield b"</sheetData></worksheet>"

    return generate


def lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """Patch the central directory (and local header) so ``member`` claims ``declared`` bytes."""
    raw = bytearray(data)
    name = member.encode()
    position = 0
    while (position := raw.find(b"PK\x01\x02", position)) != -1:
        name_length = struct.unpack_from("<H", raw, position + 28)[0]
        if raw[position + 46 : position + 46 + name_length] == name:
            struct.pack_into("<I", raw, position + 24, declared)
            local = struct.unpack_from("<I", raw, position + 42)[0]
            struct.pack_into("<I", raw, local + 22, declared)
        position += 4
    return bytes(raw)


def corpus(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write the hostile files into ``folder``; ``{name: (path, code the gate must answer)}``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(14)
    good = base_xlsx()
    header = "户编号,村区划代码,户主姓名,成员姓名,与户主关系,身份证号码\n"
    line = "H1,341502204201,张三,张三,户主,341502197001010011\n"
    files: dict[str, tuple[bytes, str, str]] = {
        "renamed_exe": (b"MZ\x90\x00\x03\x00\x00\x00" + rng.randbytes(4000), "setup.xlsx", "not_xlsx"),
        "random_bytes": (rng.randbytes(20_000), "data.xlsx", "not_xlsx"),
        "csv_gbk": ((header + line * 20).encode("gbk"), "农户.xlsx", "csv_not_supported"),
        "csv_utf8_bom": (("\ufeff" + header + line * 20).encode("utf-8"), "农户.csv", "csv_not_supported"),
        "legacy_xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), "old.xls", "legacy_xls"),
        "zip_bomb": (
            rebuild(good, replace={"xl/worksheets/sheet1.xml": _bomb(200 * 1024 * 1024)}),
            "b.xlsx",
            "zip_bomb",
        ),
        "lying_size_small": (lie_about_size(good, "xl/worksheets/sheet1.xml", 100), "l.xlsx", "corrupt_file"),
        "lying_size_huge": (lie_about_size(good, "xl/worksheets/sheet1.xml", 4_000_000_000), "h.xlsx", "zip_bomb"),
        "million_rows": (
            rebuild(good, replace={"xl/worksheets/sheet1.xml": _many_rows(1_000_000)}),
            "m.xlsx",
            "too_many_rows",
        ),
        "macros_xlsm": (rebuild(good, replace={"xl/vbaProject.bin": rng.randbytes(2000)}), "macro.xlsm", "macros"),
        "macros_renamed": (rebuild(good, replace={"xl/vbaProject.bin": rng.randbytes(2000)}), "macro.xlsx", "macros"),
        "external_links": (
            rebuild(
                good,
                replace={
                    "xl/externalLinks/externalLink1.xml": b'<externalLink><externalBook r:id="rId1"/></externalLink>'
                },
            ),
            "links.xlsx",
            "external_links",
        ),
        "entity_expansion": (
            rebuild(good, replace={"xl/sharedStrings.xml": BILLION_LAUGHS.encode()}),
            "lol.xlsx",
            "xml_dtd",
        ),
        "not_a_workbook_zip": (_plain_zip(), "archive.xlsx", "not_xlsx"),
        "truncated_zip": (good[: len(good) // 2], "cut.xlsx", "corrupt_file"),
    }
    written = {}
    for name, (data, filename, code) in files.items():
        path = folder / name / filename
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        written[name] = (path, code)
    return written


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()
