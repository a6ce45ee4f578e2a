"""docs/protocol.md's code tables, read for the conformance tests: §11's error codes
and §1's close codes, so that the tests follow the document as it is written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading; empty when it is missing."""
    start = text.find(heading)
    if start == -1:
        return ""
    end = text.find("\n#", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def error_rows() -> dict[str, list[str]]:
    """§11's table: code -> its cells (sent when, details)."""
    rows: dict[str, list[str]] = {}
    for line in section(DOC.read_text(), "## 11. Error codes").splitlines():
        match = re.match(r"^\| `([A-Z_]+)` \|(.*)\|\s*$", line)
        if match:
            assert match[1] not in rows, f"{match[1]} is listed twice"
            rows[match[1]] = [cell.strip() for cell in match[2].split(" | ")]
    return rows


def close_codes() -> list[int]:
    table = section(DOC.read_text(), "### Close codes")
    return [int(code) for code in re.findall(r"^\| (\d{4}) \|", table, re.MULTILINE)]
