"""sp_unescape: HTML entities decoded in SQL, for the PostgreSQL import fast path.

The other rules of accounts/normalize.py are written into the import statements as inline SQL
expressions (accounts/importing/sqlexpr.py): a function call per cell costs more than the work
itself. Entities are rare, so this one function is only called for cells that contain "&".
tests/test_normalize_parity.py checks both against the Python rules.
"""

from __future__ import annotations

from django.db import migrations

FUNCTIONS = r"""
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

"""


DROP = """
DROP FUNCTION IF EXISTS sp_unescape(text);
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
