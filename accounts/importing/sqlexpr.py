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
_TOKENS = ", ".join("'" + t.replace("'", "''") + "'" for t in sorted(normalize.BLANK_TOKENS))
_SCALES = ", ".join(f"'{k}'" for k in normalize.SCALE)
_SCALE_CASE = " ".join(f"WHEN '{k}' THEN {v}" for k, v in normalize.SCALE.items())
_DOMAIN_RE = "^" + normalize.DOMAIN_PATTERN + "$"
_LEGAL_RE = normalize.LEGAL_SUFFIX_PATTERN
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


class PostgresRules:
    """Step A takes a raw cell (``r.c3``); step B takes a cleaned column (``a.t3``)."""

    # --- step A -----------------------------------------------------------------------------------

    def clean(self, raw: str) -> str:
        unescaped = f"CASE WHEN strpos({raw}, '&') > 0 THEN sp_unescape({raw}) ELSE {raw} END"
        return f"btrim(regexp_replace({unescaped}, {_WS}, ' ', 'g'), ' ')"

    def name_words(self, raw: str) -> str:
        """The name reduced to lower-case words ("&" as "and"), before legal suffixes are dropped."""
        value = f"regexp_replace(lower({self.clean(raw)}), '[''’‘]', '', 'g')"
        value = f"regexp_replace(replace({value}, '&', ' and '), {_q(_PUNCT_RE)}, ' ', 'g')"
        return f"btrim(regexp_replace({value}, {_WS}, ' ', 'g'), ' ')"

    def compact(self, raw: str) -> str:
        """An amount cell compacted (see normalize.compact_amount), once in step A for step B to read."""
        ascii_drop = "E" + _q(_escape("".join(c for c in normalize.COMPACT_DROP if c.isascii())))
        value = f"translate(replace(replace(lower({raw}), 'us$', ''), 'usd', ''), {ascii_drop}, '')"
        for char in (c for c in normalize.COMPACT_DROP if not c.isascii()):
            value = f"replace({value}, {_q(char)}, '')"
        return value

    def amount_parts(self, raw: str) -> tuple[str, str, str]:
        """(number, scale word, negative?) of an amount cell, for step B to combine without recomputing."""
        compact = self.compact(raw)
        digits = f"replace({compact}, '-', '')"
        number = f"left({digits}, length({digits}) - length(ltrim({digits}, {_DIGITS})))"
        scale = f"rtrim(ltrim({digits}, {_DIGITS}), '.')"
        return number, scale, f"(strpos({compact}, '-') > 0 OR strpos({raw}, '(') > 0)"

    def domain_candidate(self, raw: str) -> str:
        """A web address stripped to its host (not yet validated), once in step A."""
        value = f"lower({self.clean(raw)})"
        for pattern in (r"^[a-z][a-z0-9+.-]*://", "^[^@/]*@", "[:/?#].*$", r"^www[0-9]*\."):
            value = f"regexp_replace({value}, {_q(pattern)}, '')"
        return f"rtrim({value}, '.')"

    # --- step B -----------------------------------------------------------------------------------

    def text(self, t: str) -> str:
        return f"CASE WHEN lower({t}) IN ({_TOKENS}) THEN NULL ELSE {t} END"

    def is_blank(self, t: str) -> str:
        return f"({t} IS NULL OR lower({t}) IN ({_TOKENS}))"

    def key(self, t: str) -> str:
        return f"lower({self.text(t)})"

    def _amount(self, t: str, number: str, scale: str, unit: int) -> str:
        """The absolute amount, or NULL, from step A's number and scale columns."""
        valid = (
            f"NOT {self.is_blank(t)} AND replace({number}, '.', '') <> '' "
            f"AND length({number}) - length(replace({number}, '.', '')) <= 1 AND {scale} IN ('', {_SCALES})"
        )
        return f"CASE WHEN {valid} THEN {number}::numeric * CASE {scale} WHEN '' THEN {int(unit)} {_SCALE_CASE} END END"

    def money(self, t: str, parts: tuple[str, str, str], unit: int) -> str:
        number, scale, negative = parts
        rounded = f"round({self._amount(t, number, scale, unit)})"
        return (
            f"CASE WHEN {rounded} < {normalize.MAX_AMOUNT} THEN "
            f"(CASE WHEN {negative} THEN -1 ELSE 1 END * {rounded})::bigint END"
        )

    def count(self, t: str, parts: tuple[str, str, str]) -> str:
        number, scale, negative = parts
        amount = self._amount(t, number, scale, 1)
        return (
            f"CASE WHEN NOT {negative} AND {amount} = trunc({amount}) AND {amount} < {normalize.MAX_AMOUNT} "
            f"THEN {amount}::bigint END"
        )

    def year(self, t: str, latest: int) -> str:
        return (
            f"CASE WHEN {t} ~ '^[0-9]{{4}}(\\.0+)?$' AND left({t}, 4)::int BETWEEN 1800 AND {int(latest)} "
            f"THEN left({t}, 4)::int END"
        )

    def domain(self, t: str, candidate: str) -> str:
        return f"CASE WHEN NOT {self.is_blank(t)} AND {candidate} ~ {_q(_DOMAIN_RE)} THEN {candidate} END"

    def name_key(self, words: str) -> str:
        stripped = f"btrim(regexp_replace({words}, {_q(_LEGAL_RE)}, ''), ' ')"
        return f"COALESCE(NULLIF({stripped}, ''), {words}, '')"


class SqliteRules:
    """Step A copies the raw cell; step B calls the Python rules registered on every connection."""

    def clean(self, raw: str) -> str:
        return raw

    def name_words(self, raw: str) -> str:
        return f"sp_name_key({raw})"

    def amount_parts(self, raw: str) -> tuple[str, str, str]:
        return "NULL", "NULL", "NULL"

    def domain_candidate(self, raw: str) -> str:
        return "NULL"

    def text(self, t: str) -> str:
        return f"sp_text({t})"

    def is_blank(self, t: str) -> str:
        return f"sp_is_blank({t})"

    def key(self, t: str) -> str:
        return f"sp_key({t})"

    def money(self, t: str, parts: tuple[str, str, str], unit: int) -> str:
        return f"sp_money({t}, {int(unit)})"

    def count(self, t: str, parts: tuple[str, str, str]) -> str:
        return f"sp_count({t})"

    def year(self, t: str, latest: int) -> str:
        return f"sp_year({t}, {int(latest)})"

    def domain(self, t: str, candidate: str) -> str:
        return f"sp_domain({t})"

    def name_key(self, words: str) -> str:
        return words


def rules_for(vendor: str) -> PostgresRules | SqliteRules:
    return PostgresRules() if vendor == "postgresql" else SqliteRules()
