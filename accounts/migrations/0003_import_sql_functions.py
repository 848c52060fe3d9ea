"""SQL versions of accounts/normalize.py for the PostgreSQL import fast path.

They must give the same results as the Python rules: tests/test_normalize_parity.py checks a corpus
through both. On SQLite the importer registers the Python functions under the same names instead.
"""

from __future__ import annotations

from django.db import migrations

_MONEY = (
    r"^\(?[ ]*(-)?[ ]*(?:usd|us\$|\$|€|£)?[ ]*(-)?[ ]*"
    r"((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)[ ]*"
    r"(k|thousand|thousands|m|mm|mn|mil|million|millions|b|bn|billion|billions|t|tn|trillion|trillions)?\.?[ ]*"
    r"(?:usd)?[ ]*\)?$"
)

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION sp_trim(raw text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT btrim(raw, E' \t\r\n\f\v\u00a0')
$$;

CREATE OR REPLACE FUNCTION sp_is_blank(raw text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT raw IS NULL OR lower(sp_trim(raw)) IN
    ('', 'n/a', 'na', 'n.a.', 'n.a', '-', '--', '—', '–', 'null', 'none', 'nil', 'unknown', '#n/a', '?')
$$;

CREATE OR REPLACE FUNCTION sp_unescape(raw text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  result text := '';
  rest text := raw;
  m text[];
  code bigint;
  named text;
BEGIN
  IF raw IS NULL OR position('&' IN raw) = 0 THEN
    RETURN raw;
  END IF;
  LOOP
    m := regexp_match(rest, '^(.*?)&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});(.*)$');
    EXIT WHEN m IS NULL;
    result := result || m[1];
    IF left(m[2], 1) = '#' THEN
      IF lower(substr(m[2], 2, 1)) = 'x' THEN
        code := ('x' || lpad(substr(m[2], 3), 8, '0'))::bit(32)::bigint;
      ELSE
        code := substr(m[2], 2)::bigint;
      END IF;
      IF code > 0 AND code <= 1114111 AND NOT (code BETWEEN 55296 AND 57343) THEN
        result := result || chr(code::int);
      ELSE
        result := result || '&' || m[2] || ';';
      END IF;
    ELSE
      named := CASE lower(m[2])
        WHEN 'amp' THEN '&' WHEN 'lt' THEN '<' WHEN 'gt' THEN '>' WHEN 'quot' THEN '"' WHEN 'apos' THEN ''''
        WHEN 'nbsp' THEN E'\u00a0' WHEN 'rsquo' THEN E'\u2019' WHEN 'lsquo' THEN E'\u2018'
        WHEN 'rdquo' THEN E'\u201d' WHEN 'ldquo' THEN E'\u201c' WHEN 'ndash' THEN E'\u2013'
        WHEN 'mdash' THEN E'\u2014' WHEN 'hellip' THEN E'\u2026' WHEN 'eacute' THEN 'é' WHEN 'egrave' THEN 'è'
        WHEN 'aacute' THEN 'á' WHEN 'oacute' THEN 'ó' WHEN 'uacute' THEN 'ú' WHEN 'iacute' THEN 'í'
        WHEN 'ntilde' THEN 'ñ' WHEN 'ccedil' THEN 'ç' WHEN 'uuml' THEN 'ü' WHEN 'ouml' THEN 'ö'
        WHEN 'auml' THEN 'ä' WHEN 'copy' THEN '©' WHEN 'reg' THEN '®' WHEN 'trade' THEN '™'
      END;
      result := result || coalesce(named, '&' || m[2] || ';');
    END IF;
    rest := m[3];
  END LOOP;
  RETURN result || rest;
END
$$;

CREATE OR REPLACE FUNCTION sp_text(raw text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN lower(t) IN ('', 'n/a', 'na', 'n.a.', 'n.a', '-', '--', '—', '–', 'null', 'none', 'nil',
                                'unknown', '#n/a', '?') THEN NULL ELSE t END
  FROM (SELECT btrim(regexp_replace(sp_unescape(raw), E'[ \\t\\r\\n\\f\\v\\u00a0]+', ' ', 'g'), ' ') AS t) s
$$;

CREATE OR REPLACE FUNCTION sp_key(raw text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(sp_text(raw))
$$;

CREATE OR REPLACE FUNCTION sp_money(raw text, unit numeric) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v IS NULL OR abs(v) >= 1e15 THEN NULL ELSE v::bigint END FROM (
  SELECT CASE WHEN sp_is_blank(raw) OR m IS NULL THEN NULL ELSE
    (CASE WHEN m[1] IS NOT NULL OR m[2] IS NOT NULL OR left(sp_trim(raw), 1) = '(' THEN -1 ELSE 1 END
     * round(replace(m[3], ',', '')::numeric * CASE lower(m[4])
         WHEN 'k' THEN 1e3 WHEN 'thousand' THEN 1e3 WHEN 'thousands' THEN 1e3
         WHEN 'm' THEN 1e6 WHEN 'mm' THEN 1e6 WHEN 'mn' THEN 1e6 WHEN 'mil' THEN 1e6 WHEN 'million' THEN 1e6
         WHEN 'millions' THEN 1e6 WHEN 'b' THEN 1e9 WHEN 'bn' THEN 1e9 WHEN 'billion' THEN 1e9
         WHEN 'billions' THEN 1e9 WHEN 't' THEN 1e12 WHEN 'tn' THEN 1e12 WHEN 'trillion' THEN 1e12
         WHEN 'trillions' THEN 1e12 ELSE unit END))
  END AS v
  FROM (SELECT regexp_match(sp_trim(raw), '__MONEY__', 'i') AS m) s) s2
$$;

CREATE OR REPLACE FUNCTION sp_count(raw text) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN sp_is_blank(raw) OR m IS NULL OR m[1] IS NOT NULL OR m[2] IS NOT NULL
                   OR left(sp_trim(raw), 1) = '(' THEN NULL
              ELSE CASE WHEN v = trunc(v) AND v < 1e15 THEN v::bigint END END
  FROM (SELECT m, replace(m[3], ',', '')::numeric * CASE lower(m[4])
         WHEN 'k' THEN 1e3 WHEN 'thousand' THEN 1e3 WHEN 'thousands' THEN 1e3
         WHEN 'm' THEN 1e6 WHEN 'mm' THEN 1e6 WHEN 'mn' THEN 1e6 WHEN 'mil' THEN 1e6 WHEN 'million' THEN 1e6
         WHEN 'millions' THEN 1e6 WHEN 'b' THEN 1e9 WHEN 'bn' THEN 1e9 WHEN 'billion' THEN 1e9
         WHEN 'billions' THEN 1e9 WHEN 't' THEN 1e12 WHEN 'tn' THEN 1e12 WHEN 'trillion' THEN 1e12
         WHEN 'trillions' THEN 1e12 ELSE 1 END AS v
        FROM (SELECT regexp_match(sp_trim(raw), '__MONEY__', 'i') AS m) s1) s
$$;

CREATE OR REPLACE FUNCTION sp_year(raw text, latest int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN y BETWEEN 1800 AND latest THEN y END
  FROM (SELECT (regexp_match(sp_trim(raw), '^([0-9]{4})(?:\.0+)?$'))[1]::int AS y) s
$$;

CREATE OR REPLACE FUNCTION sp_domain(raw text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN d ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.[a-z][a-z0-9-]*[a-z0-9]$'
              THEN d END
  FROM (SELECT rtrim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(sp_key(raw),
          '^[a-z][a-z0-9+.-]*://', ''), '^[^@/]*@', ''), '[:/?#].*$', ''), '^www[0-9]*\.', ''), '.') AS d) s
$$;

CREATE OR REPLACE FUNCTION sp_name_key(raw text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN t IS NULL THEN '' ELSE coalesce(nullif(btrim(regexp_replace(t,
    '( (inc|incorporated|llc|l l c|corp|corporation|co|company|ltd|limited|plc|lp|llp|l l p|gmbh|ag|sa|nv|bv))+$',
    ''), ' '), ''), t) END
  FROM (SELECT btrim(regexp_replace(regexp_replace(replace(regexp_replace(sp_key(raw), '[''’‘]', '', 'g'), '&', ' and '),
          '[.,;:!?"“”()\[\]{}/\\|@#*+=~^`<>_-]', ' ', 'g'), E'[ \\t\\r\\n\\f\\v\\u00a0]+', ' ', 'g'), ' ') AS t) s
$$;
""".replace("__MONEY__", _MONEY)

DROP = """
DROP FUNCTION IF EXISTS sp_name_key(text), sp_domain(text), sp_year(text, int), sp_count(text),
  sp_money(text, numeric), sp_key(text), sp_text(text), sp_unescape(text), sp_is_blank(text), sp_trim(text);
"""


def _create(apps: object, schema_editor: object) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def _drop(apps: object, schema_editor: object) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_verticals_parent_name_key")]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
