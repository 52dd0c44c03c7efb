from __future__ import annotations

from pathlib import Path

from imagewright.images.mirror import debian_sources


def test_reads_deb822_and_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "deb [arch=amd64] http://mirror.example/debian bookworm main contrib\n"
    )
    (tmp_path / "sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\nTypes: deb\nURIs: https://other.example/apt\nSuites: x\n"
    )
    lines = [s.line() for s in debian_sources("trixie", tmp_path)]
    assert lines == [
        "deb http://mirror.example/debian trixie main contrib",
        "deb http://mirror.example/debian trixie-updates main contrib",
        "deb http://mirror.example/debian-security trixie-security main contrib",
    ]
