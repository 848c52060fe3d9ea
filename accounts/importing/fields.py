"""What an import can fill: the account fields, how their values are read, and how headers are guessed."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import pycountry


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    kind: str  # text, domain, website, money, count, year, country, state, lifecycle, ownership, owner
    synonyms: tuple[str, ...]
    max_length: int = 0


# Synonyms in English first, then the German and French headers European exports carry.
FIELDS: tuple[ImportField, ...] = (
    ImportField("name", "Company name", "text",
                ("company", "companyname", "name", "accountname", "account", "organization", "organisation",
                 "business", "businessname", "legalname", "firm",
                 "firma", "firmenname", "unternehmen", "societe", "entreprise", "raisonsociale", "empresa"), 255),
    ImportField("domain", "Domain", "domain", ("domain", "companydomain", "domainname", "emaildomain")),
    ImportField("website", "Website", "website", ("website", "url", "web", "homepage", "site", "websiteurl",
                                                  "companywebsite", "webaddress", "homepageurl", "webseite",
                                                  "internetseite", "siteweb", "siteinternet"), 500),
    ImportField("industry", "Industry", "text", ("industry", "vertical", "industrygroup", "subindustry",
                                                 "category", "categorycode", "categoryname", "branche",
                                                 "secteurdactivite"), 150),
    ImportField("annual_revenue", "Annual revenue", "money",
                ("revenue", "revenues", "annualrevenue", "revenueusd", "sales", "turnover", "totalrevenue",
                 "umsatz", "jahresumsatz", "umsatzerlose", "chiffredaffaires")),
    ImportField("employees", "Employees", "count",
                ("employees", "numberofemployees", "numofemployees", "noofemployees", "employeecount", "headcount",
                 "workers", "staff", "fte", "ftes", "totalemployees", "mitarbeiter", "beschaftigte",
                 "effectif", "effectifs")),
    ImportField("country", "Country", "country",
                ("country", "countrycode", "hqcountry", "headquarterscountry", "land", "pays")),
    ImportField("state", "State / region", "state",
                ("state", "statecode", "province", "provincecode", "stateprovince", "headquartersstate", "hqstate",
                 "stateorprovince", "bundesland", "kanton", "region", "regioncode"), 100),
    ImportField("city", "City", "text", ("city", "town", "headquarterscity", "hqcity", "ort", "stadt", "sitz", "ville"),
                120),
    ImportField("postal_code", "Postal code", "text",
                ("zip", "zipcode", "postalcode", "postcode", "plz", "postleitzahl", "codepostal"), 20),
    ImportField("ownership", "Ownership", "ownership", ("ownership", "companytype", "publicprivate", "ownershiptype")),
    ImportField("ticker", "Ticker", "text", ("ticker", "symbol", "tickersymbol", "stockticker"), 12),
    ImportField("founded_year", "Founded (year)", "year",
                ("founded", "yearfounded", "foundedyear", "established", "grundungsjahr", "gegrundet",
                 "anneedecreation")),
    ImportField("lifecycle", "Lifecycle", "lifecycle",
                ("lifecycle", "customerstatus", "accountstatus", "lifecyclestage")),
    ImportField("current_sales", "Our current annual sales", "money",
                ("currentsales", "oursales", "salestoaccount", "annualsalestoaccount", "arr", "bookings")),
    ImportField("wallet", "Category spend (wallet)", "money", ("wallet", "categoryspend", "walletsize", "walletshare")),
    ImportField("owner", "Owner (username or email)", "owner",
                ("owner", "accountowner", "salesrep", "rep", "accountmanager", "owneremail", "ownerusername")),
    ImportField("parent_domain", "Parent company (domain)", "domain",
                ("parentdomain", "parentcompany", "parent", "parentwebsite", "ultimateparent")),
)  # fmt: skip
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
MONEY_FIELDS = tuple(f.key for f in FIELDS if f.kind == "money")
UNITS = {1: "dollars", 1_000: "thousands of dollars", 1_000_000: "millions of dollars"}

_UNIT_SUFFIXES = (
    (re.compile(r"(?:[_ ]|\b)\(?\$?(?:m|mm|mn|mil|millions?|inmillions)\)?$"), 1_000_000),
    (re.compile(r"(?:[_ ]|\b)\(?\$?(?:k|000s?|thousands?|inthousands)\)?$"), 1_000),
)


def header_key(header: str) -> tuple[str, int | None]:
    """A header as matched against synonyms, and the unit it names: "Revenues_M" -> ("revenues", 1e6).
    Accents are dropped ("Gründungsjahr" -> "grundungsjahr")."""
    text = unicodedata.normalize("NFKD", header.strip().lower()).encode("ascii", "ignore").decode().lstrip("_- ")
    unit = None
    for pattern, scale in _UNIT_SUFFIXES:
        stripped = pattern.sub("", text)
        if stripped != text and stripped:
            text, unit = stripped, scale
            break
    text = re.sub(r"\b(in )?(usd|us\$|\$)\b", "", text)
    return re.sub(r"[^a-z0-9]", "", text.replace("#", "number").replace("no.", "number")), unit


# Headers that may name a state but may as well name something else: a "region" is often a metro area
# ("SF Bay") or a sales region ("EMEA"). Such a column is guessed as the state only when most of its
# sample values are states or provinces.
_VALUE_CHECKED = {"region", "regioncode"}
_STATE_SHARE = 0.8


def mapping_guess(headers: list[str], rows: list[list[str]] | None = None) -> dict[str, object]:
    """Guess which column fills which field, and the unit of money columns, from the headers (and, for
    headers that could mean something else, the values of a sample of rows)."""
    columns: dict[str, str] = {}
    units: dict[str, int] = {}
    taken: set[str] = set()
    keys = [header_key(h) for h in headers]
    # Exact synonym matches first, in the order synonyms are listed, so "Industry" beats "Sector".
    for field in FIELDS:
        for synonym in field.synonyms:
            index = next((i for i, (k, _u) in enumerate(keys) if k == synonym and str(i) not in columns), None)
            if index is None or field.key in taken:
                continue
            if synonym in _VALUE_CHECKED and not _mostly_states([row[index] for row in rows or [] if index < len(row)]):
                continue
            columns[str(index)] = field.key
            taken.add(field.key)
            if field.kind == "money" and keys[index][1]:
                units[field.key] = keys[index][1]
            break
    return {"columns": columns, "units": units, "default_country": "US"}


def _mostly_states(values: list[str]) -> bool:
    """Are most of these values states or provinces (by name anywhere, or by code in the US, Canada or
    Australia)? No values at all: trust the header."""
    present = [v.strip().lower() for v in values if v.strip()]
    if not present:
        return True
    known = region_names()
    return sum(1 for v in present if v in known) >= _STATE_SHARE * len(present)


@functools.cache
def region_names() -> frozenset[str]:
    """Lower-case names of every country's states and provinces, and the codes of those of the US,
    Canada and Australia ("ca", "on", "nsw")."""
    names = {subdivision.name.lower() for subdivision in pycountry.subdivisions}
    names |= {
        subdivision.code.split("-", 1)[1].lower()
        for subdivision in pycountry.subdivisions
        if subdivision.country_code in {"US", "CA", "AU"}
    }
    return frozenset(names | set(state_aliases()))


def country_aliases() -> dict[str, str]:
    """Lower-case names, codes and common spellings -> ISO 3166 alpha-2 code."""
    aliases: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for name in (
            country.alpha_2,
            country.alpha_3,
            country.name,
            getattr(country, "official_name", ""),
            getattr(country, "common_name", ""),
        ):
            if name:
                aliases[name.lower()] = code
    aliases.update({
        "u.s.": "US", "u.s": "US", "u.s.a.": "US", "u.s.a": "US", "usa": "US", "united states of america": "US",
        "america": "US", "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
        "scotland": "GB", "wales": "GB", "northern ireland": "GB", "south korea": "KR", "korea": "KR",
        "north korea": "KP", "russia": "RU", "czech republic": "CZ", "vietnam": "VN", "taiwan": "TW", "iran": "IR",
        "the netherlands": "NL", "holland": "NL", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ",
        "syria": "SY", "laos": "LA", "moldova": "MD", "turkey": "TR", "ivory coast": "CI", "uae": "AE",
        "hong kong": "HK", "macau": "MO", "deutschland": "DE", "espana": "ES", "españa": "ES",
    })  # fmt: skip
    return aliases


US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky",
    "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip


def state_aliases() -> dict[str, str]:
    """US states by code or name -> two-letter code (applied to rows in the United States)."""
    aliases = {code.lower(): code for code in US_STATES}
    aliases.update({name.lower(): code for code, name in US_STATES.items()})
    aliases.update({"washington d.c.": "DC", "washington, d.c.": "DC", "d.c.": "DC"})
    return aliases


LIFECYCLE_ALIASES = {
    "prospect": "prospect", "lead": "prospect", "target": "prospect", "new": "prospect", "suspect": "prospect",
    "customer": "customer", "client": "customer", "active": "customer", "active customer": "customer",
    "current customer": "customer", "existing customer": "customer",
    "former": "former", "former customer": "former", "churned": "former", "lost": "former", "lapsed": "former",
    "inactive": "former", "past customer": "former",
}  # fmt: skip
OWNERSHIP_ALIASES = {
    "public": "public", "publicly traded": "public", "listed": "public", "public company": "public",
    "private": "private", "privately held": "private", "private company": "private", "privately owned": "private",
}  # fmt: skip
