"""Forms of accounts: the upload and the column mapping of an import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from accounts.importing.fields import FIELDS, FIELDS_BY_KEY, MONEY_FIELDS, UNITS
from accounts.importing.files import DELIMITERS, ENCODINGS, encoding_name
from accounts.models import AccountImport
from accounts.normalize import NUMBER_STYLES

_FIELD_CHOICES = [("", "— ignore this column —"), *((f.key, f.label) for f in FIELDS)]
NUMBER_STYLE_LABELS = {".": "1,234,567.89 (decimal point)", ",": "1.234.567,89 (decimal comma)"}


def _detected(choices: dict[str, str], detected: str) -> list[tuple[str, str]]:
    """The choices, the detected one first and saying so."""
    return [
        (k, f"{v} — detected" if k == detected else v)
        for k, v in sorted(choices.items(), key=lambda c: c[0] != detected)
    ]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text="CSV (comma, semicolon or tab separated) or Excel .xlsx (its first sheet), with a header row. "
        f"Up to {settings.IMPORT_MAX_UPLOAD_BYTES // 1_000_000:,} MB and {settings.IMPORT_MAX_COLUMNS:,} columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx"}),
    )


class ImportMappingForm(forms.Form):
    """One choice per column of the file, the unit of each money field, the default country, the mode."""

    default_country = forms.CharField(
        max_length=60, initial="US", help_text="For rows whose country is empty (or when no column holds it)."
    )
    mode = forms.ChoiceField(
        choices=AccountImport.Mode.choices, widget=forms.RadioSelect, initial=AccountImport.Mode.ALL_OR_NOTHING
    )

    encoding = forms.ChoiceField(label="Text encoding", required=False)
    delimiter = forms.ChoiceField(label="Columns separated by", required=False)
    decimal = forms.ChoiceField(label="Numbers are written as", required=False)

    def __init__(self, *args: Any, account_import: AccountImport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_import = account_import
        mapping = account_import.mapping or {}
        detected = mapping.get("detected", {})
        encoding = encoding_name(account_import.encoding or "")
        encodings = dict(ENCODINGS) if encoding in ENCODINGS or not encoding else {**ENCODINGS, encoding: encoding}
        self.fields["encoding"].choices = _detected(encodings, detected.get("encoding", encoding))
        self.fields["encoding"].initial = encoding
        self.fields["delimiter"].choices = _detected(DELIMITERS, detected.get("delimiter", account_import.delimiter))
        self.fields["delimiter"].initial = account_import.delimiter or ","
        self.fields["decimal"].choices = _detected(NUMBER_STYLE_LABELS, detected.get("decimal", "."))
        self.fields["decimal"].initial = mapping.get("decimal", ".")
        columns = mapping.get("columns", {})
        for index, header in enumerate(account_import.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                choices=_FIELD_CHOICES,
                required=False,
                label=header or f"Column {index + 1}",
                initial=columns.get(str(index), ""),
            )
        for key in MONEY_FIELDS:
            self.fields[f"unit_{key}"] = forms.TypedChoiceField(
                choices=[(k, v) for k, v in UNITS.items()],
                coerce=int,
                label=f"{FIELDS_BY_KEY[key].label} is in",
                required=False,
                empty_value=1,
                initial=mapping.get("units", {}).get(key, 1),
                help_text="For plain numbers; values such as “36.9 Million” or “$1.2B” carry their own unit.",
            )
        self.fields["default_country"].initial = mapping.get("default_country", "US")
        self.fields["mode"].initial = account_import.mode

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{i}"] for i in range(len(self.account_import.headers))]

    def unit_fields(self) -> list[forms.BoundField]:
        return [self[f"unit_{k}"] for k in MONEY_FIELDS]

    def mapping(self) -> dict[str, Any]:
        """The mapping as submitted (cleaned data), in the shape the import service takes."""
        data = self.cleaned_data
        columns = {str(i): data.get(f"col_{i}") for i in range(len(self.account_import.headers))}
        decimal = data.get("decimal") or "."
        return {
            "columns": {k: v for k, v in columns.items() if v},
            "units": {k: data.get(f"unit_{k}", 1) for k in MONEY_FIELDS},
            "default_country": data.get("default_country") or "US",
            "decimal": decimal,
            "thousands": NUMBER_STYLES[decimal],
        }


class VerticalForm(forms.Form):
    name = forms.CharField(max_length=100, label="New vertical")
    description = forms.CharField(max_length=300, required=False)
