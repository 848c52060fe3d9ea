"""Mistakes that a page would render without complaint, caught by reading every template of the project."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template import engines

# Django's {% querystring %} writes the "?" itself: a "?" before it makes links such as "??page=2".
_QUESTION_MARK_BEFORE_QUERYSTRING = re.compile(r"\?\{%-?\s*querystring\b")


def _project_templates() -> list[Path]:
    """Every template under templates/ and under the project apps' template folders (not installed packages)."""
    base = Path(settings.BASE_DIR).resolve()
    folders = {Path(d).resolve() for d in engines["django"].template_dirs}
    return sorted(
        path
        for folder in folders
        if folder.is_relative_to(base) and ".venv" not in folder.parts
        for path in folder.rglob("*")
        if path.is_file() and path.suffix in {".html", ".txt", ".xml", ".svg"}
    )


def test_no_template_puts_a_question_mark_before_querystring():
    templates = _project_templates()
    assert Path(settings.BASE_DIR, "templates", "accounts", "possible_duplicates.html").resolve() in templates

    offending = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in templates
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _QUESTION_MARK_BEFORE_QUERYSTRING.search(line)
    ]

    assert offending == [], "{% querystring %} already writes the “?”; drop the one before it in " + ", ".join(
        offending
    )
