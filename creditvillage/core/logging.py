"""A logging filter that removes resident ID numbers, mobile numbers and tokens from records.

Logs are read by operators and shipped to other systems; personal data must never reach them
(reliability.md C12). The filter rewrites the formatted message, so it also covers arguments.
"""

from __future__ import annotations

import logging
import re

_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_BEARER = re.compile(r"(?i)(bearer\s+|token[\"'=:\s]+)[A-Za-z0-9_\-\.]{16,}")


def redact(text: str) -> str:
    text = _RESIDENT_ID.sub("[ID]", text)
    text = _MOBILE.sub("[MOBILE]", text)
    return _BEARER.sub(r"\1[TOKEN]", text)


class RedactPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
