"""Files handed in with a goal: read from disk and carried inline as :class:`agentrt.contracts.Attachment`."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from agentrt.contracts import Attachment, UsageError

__all__ = ["MAX_ATTACHMENT_CHARS", "MEDIA_TYPES", "attachment_from_path", "media_type_of"]

MEDIA_TYPES: dict[str, str] = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".log": "text/x-log",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
}
"""Media types by file extension; the specialists pick their data by these."""

MAX_ATTACHMENT_CHARS = 8_000_000
"""The largest attachment a goal carries inline (the contract's limit)."""


def media_type_of(path: Path | str) -> str:
    """Guess a file's media type from its extension (``text/plain`` when nothing better is known)."""
    suffix = Path(path).suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(str(path))
    return guessed or "text/plain"


def attachment_from_path(path: Path | str) -> Attachment:
    """Read a text file into an attachment named after the file.

    Raises:
        UsageError: The file does not exist, is not UTF-8 text or is too large to carry inline.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"cannot attach {file}: no such file; check the path", path=str(file))
    try:
        content = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            f"cannot attach {file}: it is not UTF-8 text; attach text data (csv, md, json, log, txt)", path=str(file)
        ) from None
    if len(content) > MAX_ATTACHMENT_CHARS:
        raise UsageError(
            f"cannot attach {file}: {len(content)} characters, more than {MAX_ATTACHMENT_CHARS}; "
            "attach an extract or load the data into a store the tools can query",
            path=str(file),
        )
    return Attachment(name=file.name, media_type=media_type_of(file), content=content)
