"""The rules of accounts/normalize.py as SQL expressions, one set per database.

The import reads cells in two steps: step A cleans every mapped cell once (entities, whitespace) into
``imp_clean_<id>``; step B derives the typed values from the cleaned text. On PostgreSQL both steps
are inline SQL (a function call per cell costs more than the work itself, and a cleaned column read
twice costs nothing, where an expression repeated would be computed twice). On SQLite step A copies
the cells and step B calls the Python rules registered by accounts/importing/sqlite.py.
tests/test_normalize_parity.py holds the PostgreSQL text to the Python rules.
"""

from __future__ import annotations

from accounts import normalize

_WS = r"E'[ \\t\\r\\n\\f\\v\\u00a0]+'"
_WS_NEEDED = r"E'[\\t\\r\\n\\f\\v\\u00a0]|  '"  # a cell that needs _WS collapsed
_TOKENS = ", ".join("'" + t.replace("'", "''") + "'" for t in sorted(normalize.BLANK_TOKENS))
_SCALES = ", ".join(f"'{k}'" for k in normalize.SCALE)
_SCALE_CASE = " ".join(f"WHEN '{k}' THEN {v}" for k, v in normalize.SCALE.items())
_DOMAIN_RE = "^" + normalize.DOMAIN_PATTERN + "$"
_SPREADSHEET_ERROR_RE = normalize.SPREADSHEET_ERROR_PATTERN
_DATE_RE = normalize.DATE_PATTERN
# The legal suffixes matched on the reversed name: anchored at the start, a regex fails fast on the
# names that have none, where the same pattern anchored at the end is tried from every position.
# Groups are non-capturing: PostgreSQL runs a regex with capturing groups several times slower.
_LEGAL_REVERSED_RE = "^(?:(?:" + "|".join(s[::-1] for s in normalize.LEGAL_SUFFIXES) + ") )+"
_PUNCT_RE = r"""[.,;:!?"“”()\[\]{}/\\|@#*+=~^`<>_-]"""
_DIGITS = "'0123456789.'"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _escape(text: str) -> str:
    """Control characters as E-string escapes (tab as \\t), for an E'...' literal."""
    return (
        text.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
        .replace("\f", "\\f")
        .replace("\v", "\\v")
    )


def _decimal(decimal: str) -> str:
    if decimal not in normalize.NUMBER_STYLES:
        raise ValueError(f"decimal separator must be one of {sorted(normalize.NUMBER_STYLES)}, not {decimal!r}")
    return decimal


class PostgresRules:
    """Step A takes a raw cell (``r.c3``); step B takes a cleaned column (``a.t3``).

    ``decimal`` is the file's decimal separator ("." or ","; see normalize.NUMBER_STYLES).
    """

    def __init__(self, *, decimal: str = ".") -> None:
        self.decimal = _decimal(decimal)
        self.thousands = normalize.NUMBER_STYLES[self.decimal]

    # --- step A -----------------------------------------------------------------------------------

    def clean(self, raw: str) -> str:
        unescaped = f"CASE WHEN strpos({raw}, '&') > 0 THEN sp_unescape({raw}) ELSE {raw} END"
        return f"btrim({self._collapse(unescaped, _WS_NEEDED, _WS)}, ' ')"

    @staticmethod
    def _collapse(value: str, needed: str, pattern: str) -> str:
        """Runs of whitespace as one space; the regex replace (costly) only where a cell needs it."""
        return f"CASE WHEN {value} ~ {needed} THEN regexp_replace({value}, {pattern}, ' ', 'g') ELSE {value} END"

    def compact(self, raw: str) -> str:
        """An amount cell compacted; separators, signs and parentheses kept (see normalize.compact_amount)."""
        value = f"lower({raw})"
        for word, replacement in normalize.CURRENCY_WORDS:
            value = f"replace({value}, {_q(word)}, {_q(replacement)})"
        if self.decimal == ",":
            for suffix in normalize.WHOLE_SUFFIXES:
                value = f"replace({value}, {_q(suffix)}, '')"
        # translate() takes any characters; one call drops them all.
        return f"translate({value}, E{_q(_escape(normalize.COMPACT_DROP))}, '')"

    def _separated(self, compact: str) -> str:
        """The compacted amount without sign or parentheses, its thousands separators dropped and its
        decimal separator as a point; '' (no number) where a thousands separator is not followed by
        three digits."""
        grouping = _q(normalize.GROUPING_PATTERNS[self.thousands])
        bad = f"strpos({compact}, {_q(self.thousands)}) > 0 AND {compact} ~ {grouping}"
        # translate() maps the decimal separator to "." and deletes the rest of its first list (the
        # characters beyond the end of the second).
        source, target = (",.-()", ".") if self.decimal == "," else (",-()", "")
        return f"CASE WHEN {bad} THEN '' ELSE translate({compact}, {_q(source)}, {_q(target)}) END"

    def spreadsheet_error(self, t: str) -> str:
        """Is the cleaned cell an error value a spreadsheet wrote (#NAME?, ####, Err:502)?"""
        # The regular expression runs only on the few cells that start like one.
        return (
            f"(CASE WHEN {t} LIKE '#%%' OR {t} ILIKE 'err:%%' "
            f"THEN lower({t}) ~ {_q(_SPREADSHEET_ERROR_RE)} ELSE false END)"
        )

    def is_date(self, t: str) -> str:
        """Is the cleaned cell a date (5/18/27, 2027-05-18, 18-May)? A costly regular expression (PostgreSQL
        takes ~50 µs a cell): call it only where a cheap test has left few cells."""
        return f"(lower({t}) ~ {_q(_DATE_RE)})"

    def read_levels(self, cells: list[tuple[int, str]]) -> list[dict[str, str]]:
        """Step A as levels of SELECT expressions over raw cells ``q.c<i>`` read as the given kinds.

        PostgreSQL computes an expression as often as it is written, so a value that several later
        expressions need is computed in one level and read by name (``q.<alias>``) in the next.
        Output per cell: ``t<i>`` cleaned text; for amounts the number ``m<i>``, scale word ``s<i>``
        and sign ``n<i>``; for web addresses the host candidate ``u<i>``; for the name ``name_words``.
        A date in an amount column has no number (it is reported, never read as one).
        """
        levels: list[dict[str, str]] = [{}, {}, {}, {}, {}, {}]
        one, two, three, four, five, six = levels
        for i, kind in cells:
            one[f"t{i}"] = self.clean(f"q.c{i}")
            if kind in {"money", "count"}:
                one[f"_k{i}"] = self.compact(f"q.c{i}")
                two[f"n{i}"] = f"(strpos(q._k{i}, '-') > 0 OR strpos(q._k{i}, '(') > 0)"
                # Only a date with hyphens would read as a (negative) number; others do not read at all.
                separated = self._separated(f"q._k{i}")
                two[f"_d{i}"] = (
                    f"CASE WHEN strpos(q.t{i}, '-') = 0 THEN {separated} "
                    f"WHEN {self.is_date(f'q.t{i}')} THEN '' ELSE {separated} END"
                )
                three[f"m{i}"] = f"left(q._d{i}, length(q._d{i}) - length(ltrim(q._d{i}, {_DIGITS})))"
                three[f"s{i}"] = f"rtrim(ltrim(q._d{i}, {_DIGITS}), '.')"
            if kind in {"domain", "website"}:
                u = f"q.u{i}"
                two[f"u{i}"] = f"lower(q.t{i})"
                # Each regex replace runs only where a cheap test says it can change the value.
                three[f"u{i}"] = (
                    f"CASE WHEN {u} LIKE 'https://%%' THEN substr({u}, 9) WHEN {u} LIKE 'http://%%' "
                    f"THEN substr({u}, 8) WHEN strpos({u}, '://') > 0 "
                    f"THEN regexp_replace({u}, '^[a-z][a-z0-9+.-]*://', '') ELSE {u} END"
                )
                four[f"u{i}"] = f"CASE WHEN strpos({u}, '@') > 0 THEN regexp_replace({u}, '^[^@/]*@', '') ELSE {u} END"
                five[f"u{i}"] = f"CASE WHEN {u} ~ '[:/?#]' THEN regexp_replace({u}, '[:/?#].*$', '') ELSE {u} END"
                six[f"u{i}"] = (
                    f"rtrim(CASE WHEN {u} LIKE 'www.%%' THEN substr({u}, 5) WHEN {u} LIKE 'www%%' "
                    f"THEN regexp_replace({u}, '^www[0-9]*\\.', '') ELSE {u} END, '.')"
                )
            if kind == "name":
                # Lower-case words, "&" as "and", no apostrophes or punctuation; legal suffixes go in step B.
                words = f"replace(replace(replace(lower(q.t{i}), '''', ''), '’', ''), '‘', '')"
                two["_w"] = f"regexp_replace(replace({words}, '&', ' and '), {_q(_PUNCT_RE)}, ' ', 'g')"
                three["name_words"] = f"btrim({self._collapse('q._w', _q('  '), _q(' {2,}'))}, ' ')"
        return [level for level in levels if level]

    # --- step B -----------------------------------------------------------------------------------

    def text(self, t: str) -> str:
        return f"CASE WHEN lower({t}) IN ({_TOKENS}) OR {self.spreadsheet_error(t)} THEN NULL ELSE {t} END"

    def is_blank(self, t: str) -> str:
        return f"({t} IS NULL OR lower({t}) IN ({_TOKENS}))"

    def key(self, t: str) -> str:
        """The cell as looked up in the alias table (which holds no blank tokens, so a blank finds nothing)."""
        return f"lower({t})"

    def website(self, t: str) -> str:
        return (
            f"CASE WHEN {self.is_blank(t)} OR {self.spreadsheet_error(t)} THEN NULL "
            f"WHEN lower({t}) LIKE 'http://%%' OR lower({t}) LIKE 'https://%%' THEN {t} ELSE 'https://' || {t} END"
        )

    def _amount(self, number: str, scale: str, unit: int) -> str:
        """The absolute amount, at most MAX_AMOUNT, or NULL, from step A's number and scale columns.

        A blank cell needs no test of its own: no blank token starts with a digit, so none has a number.
        """
        valid = (
            f"replace({number}, '.', '') <> '' "
            f"AND length({number}) - length(replace({number}, '.', '')) <= 1 AND {scale} IN ('', {_SCALES})"
        )
        amount = f"{number}::numeric * CASE {scale} WHEN '' THEN {int(unit)} {_SCALE_CASE} END"
        return f"CASE WHEN {valid} THEN LEAST({amount}, {normalize.MAX_AMOUNT}) END"

    def money(self, t: str, parts: tuple[str, str, str], unit: int) -> str:
        number, scale, negative = parts
        rounded = f"round({self._amount(number, scale, unit)})"
        return f"(CASE WHEN {negative} THEN -1 ELSE 1 END * {rounded})::bigint"

    def count(self, t: str, parts: tuple[str, str, str]) -> str:
        number, scale, negative = parts
        amount = self._amount(number, scale, 1)
        return f"CASE WHEN NOT {negative} AND mod({amount}, 1) = 0 THEN ({amount})::bigint END"

    def year(self, t: str, latest: int) -> str:
        return (
            f"CASE WHEN {t} ~ '^[0-9]{{4}}(\\.0+)?$' AND left({t}, 4)::int BETWEEN 1800 AND {int(latest)} "
            f"THEN left({t}, 4)::int END"
        )

    def domain(self, t: str, candidate: str) -> str:
        return f"CASE WHEN NOT {self.is_blank(t)} AND {candidate} ~ {_q(_DOMAIN_RE)} THEN {candidate} END"

    def name_key(self, words: str) -> str:
        stripped = f"btrim(reverse(regexp_replace(reverse({words}), {_q(_LEGAL_REVERSED_RE)}, '')), ' ')"
        return f"COALESCE(NULLIF({stripped}, ''), {words}, '')"


class SqliteRules:
    """Step A copies the raw cell; step B calls the Python rules registered on every connection."""

    def __init__(self, *, decimal: str = ".") -> None:
        self.decimal = _decimal(decimal)

    def read_levels(self, cells: list[tuple[int, str]]) -> list[dict[str, str]]:
        """Step A copies the cells; the Python rules of step B read them."""
        level = {f"t{i}": f"q.c{i}" for i, _kind in cells}
        for i, kind in cells:
            if kind == "name":
                level["name_words"] = f"sp_name_key(q.c{i})"
        return [level]

    def text(self, t: str) -> str:
        return f"sp_text({t})"

    def is_blank(self, t: str) -> str:
        return f"sp_is_blank({t})"

    def key(self, t: str) -> str:
        return f"sp_key({t})"

    def website(self, t: str) -> str:
        text = self.text(t)
        return (
            f"CASE WHEN {text} IS NULL THEN NULL WHEN lower({text}) LIKE 'http://%%' "
            f"OR lower({text}) LIKE 'https://%%' THEN {text} ELSE 'https://' || {text} END"
        )

    def spreadsheet_error(self, t: str) -> str:
        return f"sp_spreadsheet_error({t})"

    def is_date(self, t: str) -> str:
        return f"sp_is_date({t})"

    def money(self, t: str, parts: tuple[str, str, str], unit: int) -> str:
        return f"sp_money({t}, {int(unit)}, '{self.decimal}')"

    def count(self, t: str, parts: tuple[str, str, str]) -> str:
        return f"sp_count({t}, '{self.decimal}')"

    def year(self, t: str, latest: int) -> str:
        return f"sp_year({t}, {int(latest)})"

    def domain(self, t: str, candidate: str) -> str:
        return f"sp_domain({t})"

    def name_key(self, words: str) -> str:
        return words


def rules_for(vendor: str, *, decimal: str = ".") -> PostgresRules | SqliteRules:
    return PostgresRules(decimal=decimal) if vendor == "postgresql" else SqliteRules(decimal=decimal)


def levels_select(levels: list[dict[str, str]], source: str, *, fence: bool) -> str:
    """One SELECT computing ``levels`` over ``source`` (which has row_no, extra and the raw cells).

    Each level reads the one before it as ``q``; the first reads ``source``. Columns named "_…" are
    steps on the way, read by a later level but left out of the result. With ``fence``, a volatile
    (yet parallel-safe) call in every inner level keeps PostgreSQL from merging it into the next,
    which would write each of its expressions out again wherever the next level names it.
    """
    sql, carried = source, []
    for depth, level in enumerate(levels):
        last = depth == len(levels) - 1
        kept = [f"q.{c} AS {c}" for c in carried if c not in level and not (last and c.startswith("_"))]
        exprs = [f"{expr} AS {alias}" for alias, expr in level.items()]
        barrier = ", pg_jit_available() AS fence" if fence and not last else ""
        sql = f"SELECT q.row_no, q.extra, {', '.join(kept + exprs)}{barrier} FROM {sql if depth == 0 else f'({sql})'} q"
        carried = [c for c in carried if c not in level] + list(level)
    return sql
