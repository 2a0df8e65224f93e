"""Reading an export file: size limit, decoding (UTF-16 / UTF-8 / cp1252 by content) and
the decoded :class:`FileText` every layout detects and parses (design.md §5). Re-exported
by :mod:`taxmargin.importers.base`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from taxmargin.errors import InputError

__all__ = ["FileText", "MAX_FILE_BYTES", "decode_bytes", "load_file"]

#: Files larger than this are refused (a real yearly export is far smaller; see issue 6 for
#: the streaming path of the generic importer, which has its own limit).
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileText:
    """A decoded input file. ``name`` is what messages print as ``FILE`` in ``FILE:LINE``."""

    name: str
    text: str
    encoding: str
    sha256: str
    size: int

    def head_lines(self, count: int = 30) -> list[str]:
        """The first ``count`` physical lines (for detection), without line endings."""
        out: list[str] = []
        start = 0
        text = self.text
        while len(out) < count and start < len(text):
            end = text.find("\n", start)
            if end == -1:
                end = len(text)
            out.append(text[start:end].rstrip("\r")[:20000])
            start = end + 1
        return out


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode an export: UTF-16 (BOM), UTF-8 (with or without BOM), else cp1252.

    Returns ``(text, encoding)``. Raises :class:`InputError` for binary content.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError("looks like UTF-16 but does not decode") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    sample = data[:65536]
    if sample.count(b"\x00") > max(8, len(sample) // 100):
        raise InputError("binary content (NUL bytes): not a CSV export")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def load_file(path: Path, name: str | None = None) -> FileText:
    """Read and decode ``path``; ``name`` (default: the file name) is used in messages."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: file is larger than {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    display = name or path.name
    if not data.strip():
        raise InputError(f"{display}: the file is empty")
    try:
        text, encoding = decode_bytes(data)
    except InputError as exc:
        raise InputError(f"{display}: {exc}") from None
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")  # old Mac "CSV (Macintosh)": CR alone ends a line
    return FileText(
        name=display,
        text=text.replace("\x00", ""),
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
