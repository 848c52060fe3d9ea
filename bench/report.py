"""Writes benchmark results into docs/benchmarks.md, one section per benchmark, keeping the others."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
_INTRO = """# Benchmarks

Measured by the scripts in `bench/` on PostgreSQL; each figure stands beside its reference measured in
the same run (DESIGN.md §5). Timings on shared machines are noisy: each is the median of several runs.
Re-run a section with the command under its title.
"""


def report_write(*, section: str, title: str, command: str, rows: list[tuple[str, str, str]]) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else _INTRO
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    body = [
        f"<!-- section:{section} -->",
        f"## {title}",
        "",
        f"`{command}` — {dt.date.today().isoformat()}, {machine}",
        "",
        "| measurement | figure | compared with |",
        "|---|---|---|",
    ]
    body += [f"| {what} | {figure} | {versus} |" for what, figure, versus in rows]
    body += [f"<!-- /section:{section} -->"]
    block = "\n".join(body)
    pattern = re.compile(rf"<!-- section:{section} -->.*?<!-- /section:{section} -->", re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
