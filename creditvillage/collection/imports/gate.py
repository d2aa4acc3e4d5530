"""The upload gate (reliability R34, C14): decide whether a file may reach the spreadsheet parser.

Everything here reads the zip's central directory and then streams each member through Python's
``zipfile`` — which stops at the declared size and checks the CRC — with hard caps, before
python-calamine sees a byte. It refuses:

* anything that is not an xlsx zip: executables, random bytes, old ``.xls``, CSV text in GBK or
  UTF-8 with a BOM (with a message saying to save as .xlsx);
* macros (``vbaProject.bin``, macro-enabled content types, ``.xlsm``), external links,
  encrypted members;
* zip bombs: too many members, a member or a total too large uncompressed, a suspicious
  compression ratio — all from the central directory, before decompressing;
* lying sizes: a member whose data does not match its declared size and CRC;
* XML with a document type declaration (entity expansion: "billion laughs");
* more rows than the import takes.

Pure Python, no database: it can run in the request (fast: one pass over the compressed bytes).
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from django.utils.translation import gettext as _

MIB: Final = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    upload_bytes: int = 40 * MIB
    members: int = 500
    member_bytes: int = 256 * MIB
    total_bytes: int = 384 * MIB
    ratio: int = 150  # uncompressed : compressed, for members over ``ratio_floor`` bytes
    ratio_floor: int = 2 * MIB
    rows: int = 200_000
    seconds: float = 10.0


DEFAULT_LIMITS: Final = Limits()


class FileRejected(Exception):  # noqa: N818 - a refusal, not a programming error
    """The file cannot be imported at all; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class GateResult:
    sha256: str
    size: int
    rows: int  # rows counted in the largest worksheet (header included)


_CSV_HINT = "请在 Excel 中“另存为”Excel 工作簿（.xlsx），或直接使用下载的导入模板。"


def _csv_like(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    for encoding in ("utf-8", "gb18030"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            # A multi-byte character cut at the end of the sample is still text.
            try:
                text = head[:-3].decode(encoding)
            except UnicodeDecodeError:
                continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        return bool(text) and printable / len(text) > 0.95 and any(sep in text for sep in ",\t;")
    return False


def _check_kind(path: Path, filename: str) -> None:
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsm", ".xltm", ".xlam"):
        raise FileRejected("macros", _("不接受含宏的工作簿（.xlsm），请另存为 .xlsx 后上传。"))
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if suffix not in ("", ".xlsx"):
            raise FileRejected("not_xlsx", _("只接受 .xlsx 文件。") + _CSV_HINT)
        return
    if head.startswith((b"MZ", b"\x7fELF")):
        raise FileRejected("not_xlsx", _("这不是 Excel 文件（看起来是可执行程序），已拒绝。") + _CSV_HINT)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected("legacy_xls", _("这是旧版 .xls 或加密的工作簿，请另存为 .xlsx 后上传。"))
    if _csv_like(head):
        raise FileRejected("csv_not_supported", _("这是 CSV 文本文件，不能直接导入。") + _CSV_HINT)
    raise FileRejected("not_xlsx", _("无法识别的文件格式，只接受 .xlsx 文件。") + _CSV_HINT)


def _check_directory(archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > limits.members:
        raise FileRejected("zip_bomb", _("文件中的部件过多，疑似恶意文件，已拒绝。"), {"members": len(members)})
    names = {info.filename for info in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRejected("not_xlsx", _("这不是有效的 Excel 工作簿（.xlsx）。") + _CSV_HINT)
    if archive.getinfo("[Content_Types].xml").file_size > MIB:  # read whole below: keep it small
        raise FileRejected("not_xlsx", _("这不是有效的 Excel 工作簿（.xlsx）。") + _CSV_HINT)
    total = 0
    for info in members:
        lowered = info.filename.lower()
        if lowered.endswith("vbaproject.bin") or lowered.endswith(".bin") and "vba" in lowered:
            raise FileRejected("macros", _("工作簿中含有宏（VBA），出于安全原因已拒绝，请另存为 .xlsx。"))
        if lowered.startswith("xl/externallinks/"):
            raise FileRejected(
                "external_links", _("工作簿中含有外部链接，已拒绝；请删除外部链接（或复制为数值）后再上传。")
            )
        if info.flag_bits & 0x1:
            raise FileRejected("encrypted", _("工作簿已加密，请取消密码后再上传。"))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRejected("not_xlsx", _("工作簿使用了不支持的压缩方式。"))
        if info.file_size > limits.member_bytes:
            raise FileRejected("zip_bomb", _("文件解压后过大，已拒绝。"), {"member_bytes": info.file_size})
        total += info.file_size
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise FileRejected("zip_bomb", _("文件压缩比异常（疑似压缩炸弹），已拒绝。"))
    if total > limits.total_bytes:
        raise FileRejected("zip_bomb", _("文件解压后过大，已拒绝。"), {"total_bytes": total})
    return members


_DTD_MARKERS: Final = (b"<!DOCTYPE", b"<!ENTITY")
_ROW_MARKERS: Final = (b"<row ", b"<row>")
_OVERLAP: Final = 16


def _stream_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, started: float) -> int:
    """Decompress one member within its declared size (zipfile checks the CRC); count its rows."""
    lowered = info.filename.lower()
    is_xml = lowered.endswith((".xml", ".rels", ".vml"))
    is_sheet = lowered.startswith("xl/worksheets/") and lowered.endswith(".xml")
    rows = 0
    tail = b""
    with archive.open(info) as member:
        while chunk := member.read(MIB):
            if is_xml:
                window = tail + chunk
                if b"<!" in window and any(marker in window for marker in _DTD_MARKERS):
                    raise FileRejected("xml_dtd", _("工作簿含有 XML 实体声明（可能是实体扩展攻击），已拒绝。"))
                if is_sheet:
                    rows += sum(window.count(marker) for marker in _ROW_MARKERS)
                    rows -= sum(tail.count(marker) for marker in _ROW_MARKERS)
                    if rows > limits.rows + 1:
                        raise FileRejected(
                            "too_many_rows",
                            _("文件行数超过上限 %(limit)d 行，请拆分为多个文件分批导入。") % {"limit": limits.rows},
                            {"max_rows": limits.rows},
                        )
                tail = window[-_OVERLAP:]
            if time.monotonic() - started > limits.seconds:
                raise FileRejected("too_slow", _("文件处理超时，请拆分为较小的文件。"))
    return rows


def inspect(path: Path, filename: str = "", limits: Limits = DEFAULT_LIMITS) -> GateResult:
    """Check ``path`` (the uploaded bytes, saved) and return its hash and row count, or raise FileRejected."""
    started = time.monotonic()
    size = path.stat().st_size
    if size > limits.upload_bytes:
        raise FileRejected(
            "file_too_large",
            _("文件过大（上限 %(mb)d MB），请拆分后分批导入。") % {"mb": limits.upload_bytes // MIB},
            {"max_bytes": limits.upload_bytes},
        )
    if size == 0:
        raise FileRejected("empty_file", _("文件是空的。"))
    _check_kind(path, filename)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(MIB):
            digest.update(block)
    try:
        with zipfile.ZipFile(path) as archive:
            members = _check_directory(archive, limits)
            content_types = archive.read("[Content_Types].xml")
            if b"macroEnabled" in content_types or b"vbaProject" in content_types:
                raise FileRejected("macros", _("工作簿中含有宏（VBA），出于安全原因已拒绝，请另存为 .xlsx。"))
            rows = max((_stream_member(archive, info, limits, started) for info in members), default=0)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise FileRejected("corrupt_file", _("文件已损坏或内容与声明的大小不符，无法读取。")) from exc
    return GateResult(sha256=digest.hexdigest(), size=size, rows=rows)
