"""Files given by path are read and carried inline with a media type from their extension."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrt.cluster.attachments import attachment_from_path, media_type_of
from agentrt.contracts import UsageError


@pytest.mark.parametrize(("name", "media_type"), [
    ("sales.csv", "text/csv"), ("metrics.md", "text/markdown"), ("tickets.json", "application/json"),
    ("app.log", "text/x-log"), ("notes.txt", "text/plain"), ("REPORT.CSV", "text/csv"), ("page.html", "text/html"),
    ("no_extension", "text/plain"),
])
def test_media_type_follows_the_extension(name: str, media_type: str) -> None:
    assert media_type_of(name) == media_type


def test_file_is_read_whole_under_its_own_name(tmp_path: Path) -> None:
    path = tmp_path / "team.md"
    path.write_text("# Team\nSales leadership: Ana, Ben.\n", encoding="utf-8")
    attachment = attachment_from_path(path)
    assert (attachment.name, attachment.media_type) == ("team.md", "text/markdown")
    assert attachment.content == "# Team\nSales leadership: Ana, Ben.\n"


def test_missing_and_binary_files_are_usage_errors_that_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file; check the path"):
        attachment_from_path(tmp_path / "nope.csv")
    binary = tmp_path / "data.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(UsageError, match="not UTF-8 text"):
        attachment_from_path(binary)
