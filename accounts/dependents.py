"""What else hangs on an account, for the writes that remove or rewind accounts (undoing an import,
merging a possible duplicate).

Two kinds of rows point at an account:

* **derived results** — scores, territory placement, ranks: computed from the accounts and computed again
  after they change, so they are simply deleted with an account;
* **people's work** — an account plan, a strategy choice, answers, tier reviews: never deleted or
  rewound by a guess. An account that carries such work is *touched* and stays as it is.

Every relation onto ``Account`` is found from the model registry; the apps that own a relation declare it
here from their ``AppConfig.ready()`` (apps above accounts included, without accounts importing them). A
relation nobody declared counts as people's work: a model added later blocks an undo rather than losing
what someone wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models

_DECLARED: dict[str, tuple[bool, str]] = {}  # "app_label.model" -> (derived, what it is, for people)


def account_dependent_register(model: str, *, derived: bool, name: str) -> None:
    """Declare a model that points at accounts: ``derived`` (recomputed from accounts) or people's work;
    ``name`` says what its rows are in a sentence ("an account plan", "ICP answers")."""
    _DECLARED[model.lower()] = (derived, name)


@dataclass(frozen=True)
class AccountDependent:
    table: str
    column: str  # the column holding the account id
    derived: bool
    name: str
    # The column recording when a row was last written (None: unknown, so any row counts as newer).
    written_column: str | None


def account_dependents() -> list[AccountDependent]:
    """Every table with rows about an account, except the account's own parent link and the import's
    own records (which the writes that use this handle themselves)."""
    found = []
    for field in apps.get_model("accounts", "Account")._meta.get_fields(include_hidden=True):
        if not (field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)):
            continue
        model = field.related_model
        if model._meta.app_label == "accounts" and model._meta.model_name in _OWN:
            continue
        label = model._meta.label_lower
        derived, name = _DECLARED.get(label, (False, str(model._meta.verbose_name_plural)))
        found.append(
            AccountDependent(
                table=model._meta.db_table,
                column=field.field.column,
                derived=derived,
                name=name,
                written_column=_written_column(model),
            )
        )
    return found


# The account's parent link (another account) and the import records themselves.
_OWN = {"account", "importchange", "possibleduplicate"}


def _written_column(model: type[models.Model]) -> str | None:
    stamps = [f for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
    for wanted in ("auto_now", "auto_now_add"):
        for field in stamps:
            if getattr(field, wanted):
                return field.column
    return None


def account_derived_delete(ids_sql: str, params: list[object]) -> None:
    """Delete the derived results of the accounts ``ids_sql`` selects (before the accounts themselves are
    deleted with SQL: these tables have no database-level keys to do it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for dependent in account_dependents():
            if dependent.derived:
                cursor.execute(
                    f"DELETE FROM {dependent.table} WHERE {dependent.column} IN ({ids_sql})",
                    params,
                )


def account_work_names(account_id: int) -> list[str]:
    """What people recorded on one account ("an account plan", "ICP answers"), for a message."""
    from django.db import connection

    names = []
    with connection.cursor() as cursor:
        for dependent in account_dependents():
            if not dependent.derived:
                cursor.execute(
                    f"SELECT 1 FROM {dependent.table} WHERE {dependent.column} = %s LIMIT 1",
                    [account_id],
                )
                if cursor.fetchone():
                    names.append(dependent.name)
    return names
