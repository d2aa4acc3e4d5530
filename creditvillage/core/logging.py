"""A logging filter that removes resident ID numbers, mobile numbers and tokens from records.

Logs are read by operators and shipped to other systems; personal data must never reach them
(reliability.md C12). The filter rewrites the formatted message, so it also covers arguments,
and the rendered traceback and stack of the record: an exception's text can carry data too
(PostgreSQL's unique-violation DETAIL quotes the duplicate key, e.g. an ID number).
"""

from __future__ import annotations

import logging
import re

_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_BEARER = re.compile(r"(?i)(bearer\s+|token[\"'=:\s]+)[A-Za-z0-9_\-\.]{16,}")
_SESSION = re.compile(r"(?i)((?:sessionid|csrftoken)[\"'=:\s]+)[A-Za-z0-9]{16,}")

_traceback_formatter = logging.Formatter()


def redact(text: str) -> str:
    text = _RESIDENT_ID.sub("[ID]", text)
    text = _MOBILE.sub("[MOBILE]", text)
    text = _SESSION.sub(r"\1[SESSION]", text)
    return _BEARER.sub(r"\1[TOKEN]", text)


class RedactPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = None
        if message is not None:
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        # Render the traceback once, here, so every formatter downstream uses the redacted text
        # (logging.Formatter.format only renders exc_info when exc_text is still empty).
        if record.exc_info and not record.exc_text:
            record.exc_text = _traceback_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
