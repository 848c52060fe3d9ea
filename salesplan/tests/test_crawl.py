"""Every page, list and export of each role, walked in a real browser (Playwright driving Debian's Chromium).

Signed in as the demo's leader, a manager and a rep, from the home page:

- every same-origin link within two clicks answers 200 (checked with the browser context's own requests,
  which share its session: fast), and one or two pages of every URL pattern are loaded in the browser with
  no console error and no failed request for the page's own assets;
- on every list, "Next" shows other rows than page 1, and the per-page links show that many rows and keep
  the filters;
- every export link, clicked after a filter and a sort were applied in the browser, downloads a file (CSV
  or Excel) whose rows are the list's rows across all its pages, in the same order;
- nothing in the database changed: no GET link changes data (signing out is a POST);
- every page carries a Content-Security-Policy header that allows no inline script and no eval, and no page
  opened in the browser breaks it (a blocked inline script, handler or eval fails the walk).

The test client never resolves an ``href`` the way a browser does (``??page=2`` is a page 1 to it), which is
why this walk clicks.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import html
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

import pytest
from django.apps import apps
from django.urls import Resolver404, resolve
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from salesplan.models import JobRun, User
from salesplan.services.demo import demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["leader", "manager1", "rep1"]
# Lists that have more than one page in the walk's data for every role: "Next" is checked on each.
MULTI_PAGE_LISTS = {"account_list", "icp_matrix", "my_territory", "job_list"}
# Downloads every role has: the walk must have found and checked each.
EVERY_ROLES_EXPORTS = {
    "account_list CSV", "account_list Excel", "icp_matrix CSV", "icp_matrix Excel", "my_territory CSV",
    "account_plan_list CSV", "plan_list CSV", "job_list CSV",
}  # fmt: skip


@dataclass(frozen=True)
class ListExport:
    """How to check the exports of one list: what to filter and sort in the browser first, and how a row of
    the list and a row of the file name the same thing."""

    key_cell: str  # CSS selector, inside a row of the list, of the cell that names the row
    file_key: Callable[[dict[str, str]], str]  # the same name, read from a row of the file
    filters: tuple[tuple[str, str], ...] = ()  # (label, value) set in the filter bar where the role has it
    sort: str = ""  # a column header clicked before filtering: the file must keep this order
    narrows: bool = True  # the filters must leave some rows, and fewer than the whole list


LIST_EXPORTS: dict[str, ListExport] = {
    "account_list": ListExport(
        "td:nth-child(1) > a", itemgetter("Name"), (("Search", "LLC"), ("Lifecycle", "prospect")), "Revenue"
    ),
    "icp_matrix": ListExport("td.sticky > a", itemgetter("Company"), (("Search", "Inc"), ("Tier", "B")), "Company"),
    "my_territory": ListExport(
        "td:nth-child(2) > a", itemgetter("Company"), (("Search", "Inc"), ("Tier", "B")), "$ potential"
    ),
    "account_plan_list": ListExport(
        "td:nth-child(1) > a", itemgetter("Account"), (("Search", "Walkabout"),), "Account"
    ),
    "plan_list": ListExport("td:nth-child(1) > a", itemgetter("Name"), (("Status", "published"),), narrows=False),
    "user_list": ListExport("td:nth-child(2) > code", itemgetter("Username"), (("Role", "rep"),), "Username"),
    "team_list": ListExport("td:nth-child(1) > a", itemgetter("Team"), sort="Reps", narrows=False),
    "job_list": ListExport(
        "td:nth-child(1) > span", lambda row: f"#{row['Job id']}", (("Status", "failed"),), "Job", narrows=True
    ),
    "account_import_list": ListExport("td:nth-child(1) > span", lambda row: f"#{row['Import']}", narrows=False),
}
# Pages whose exports are not a list's rows, with the check that fits them.
BREAKDOWN_EXPORTS = {"tam_run_detail"}  # one file of every breakdown table on the page
JSON_DOWNLOADS = {"icp_export"}  # links (by URL name) that download a JSON document

_HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"')
LIST_STATE_JS = """
() => {
  const perPage = document.querySelector('[role="group"][aria-label="Rows per page"]');
  if (!perPage) return null;
  const block = perPage.parentElement;
  const list = block.previousElementSibling;
  const rows = list ? [...list.querySelectorAll('table > tbody > tr')] : [];
  return {
    rows: rows.map(tr => tr.innerText.replace(/\\s+/g, ' ').trim()),
    showing: block.innerText.replace(/\\s+/g, ' '),
  };
}
"""
ROW_KEYS_JS = """
(selector) => {
  const perPage = document.querySelector('[role="group"][aria-label="Rows per page"]');
  if (!perPage) return [];
  const rows = perPage.parentElement.previousElementSibling.querySelectorAll('table > tbody > tr');
  return [...rows].map(tr => { const cell = tr.querySelector(selector); return cell ? cell.innerText.trim() : null; });
}
"""


@pytest.fixture
def walk_data(settings) -> str:
    """The demo organisation, and a year of finished jobs for each walking role (so the job list pages)."""
    demo_seed(companies=500, seed=5)
    jobs = []
    for user in User.objects.filter(username__in=ROLES):
        for n in range(30):
            failed = n % 3 == 0
            jobs.append(
                JobRun(
                    kind="demo_seed" if failed else "prioritize",
                    dedupe_key=f"walk:{user.pk}:{n}",
                    started_by=user,
                    status=JobRun.Status.FAILED if failed else JobRun.Status.SUCCEEDED,
                    processed=n * 10,
                    total=300,
                    message="Stopped: the demo market could not be read." if failed else "Ranked 402 accounts",
                    error="The demo market could not be read." if failed else "",
                )
            )
    JobRun.objects.bulk_create(jobs)
    # A plan whose name the plan list's search finds, beside the demo's others (whose names vary with it).
    # (Plans are account planning's, an app above the core: reached through the model registry.)
    from accounts.tests.factories import AccountFactory

    rep = User.objects.get(username="rep1")
    account = AccountFactory(name="Walkabout Works", owner=rep, state="NY", country="US")
    plan = apps.get_model("accountplans", "AccountPlan").objects.create(account=account, owner=rep, updated_by=rep)
    apps.get_model("accountplans", "PlanEvent").objects.create(plan=plan, actor=rep, action="created")
    return settings.DEMO_PASSWORD


def _data_fingerprint() -> dict[str, str]:
    """A digest of every table's rows (sessions aside): any change a GET made shows up here."""
    digests = {}
    for model in apps.get_models():
        if model._meta.label == "sessions.Session":
            continue
        rows = model._base_manager.order_by("pk").values_list()
        digests[model._meta.label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digests


def _url_name(url: str) -> str:
    return _path_name(urlsplit(url).path)


@functools.cache
def _path_name(path: str) -> str:
    try:
        return resolve(path).url_name or "?"
    except Resolver404:
        return "(no URL pattern)"


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _read_file(path: str, suffix: str) -> list[dict[str, str]]:
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    from openpyxl import load_workbook

    with open(path, "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read()), read_only=True).worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def _showing(text: str) -> tuple[int, int, int] | None:
    """(first, last, total) from "Showing 26–50 of 1,000"."""
    match = re.search(r"Showing ([\d,]+)–([\d,]+) of (?:about )?([\d,]+)", text)
    return tuple(int(g.replace(",", "")) for g in match.groups()) if match else None


@dataclass
class Walk:
    """One role's walk: what it fetched, what it loaded, and every problem it met (reported all at once)."""

    page: Page
    base: str
    problems: list[str] = field(default_factory=list)
    landed: dict[str, str | None] = field(default_factory=dict)  # every link asked for -> the page it opened
    html: dict[str, str] = field(default_factory=dict)  # page (after redirects) -> its HTML
    loaded: list[str] = field(default_factory=list)  # pages opened by address
    clicks: int = 0  # pages opened by clicking a link or a button
    lists_paged: set[str] = field(default_factory=set)
    exports_checked: list[str] = field(default_factory=list)
    csp_pages: set[str] = field(default_factory=set)  # HTML pages whose Content-Security-Policy was checked
    csp_violations_seen: int = 0
    _links: dict[str, list[str]] = field(default_factory=dict)
    _current: str = ""
    _inflight: set = field(default_factory=set)

    def listen(self) -> None:
        page = self.page
        page.on("console", lambda m: m.type == "error" and self.problem(f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problem(f"script error: {e}"))
        page.on("request", lambda r: self._inflight.add(r))
        page.on("requestfinished", lambda r: self._inflight.discard(r))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def problem(self, text: str) -> None:
        self.problems.append(f"{self._current or self.page.url}: {text}")

    def _request_failed(self, request: object) -> None:
        self._inflight.discard(request)
        # A download, or a request cut short by the next navigation, is aborted by the browser itself.
        if request.url.startswith(self.base) and request.failure != "net::ERR_ABORTED":
            self.problem(f"request failed: {request.url} ({request.failure})")

    def _response(self, response: object) -> None:
        if response.url.startswith(self.base) and response.status >= 400:
            self.problem(f"{response.request.resource_type} {response.url} answered {response.status}")
        if response.url.startswith(self.base) and response.request.resource_type == "document":
            self.check_csp(response.url, response.headers)

    def check_csp(self, url: str, headers: dict[str, str]) -> None:
        """An HTML page must say what it may run: this site's scripts only, never inline ones or eval."""
        if not headers.get("content-type", "").startswith("text/html"):
            return
        self.csp_pages.add(url)
        policy = headers.get("content-security-policy", "")
        directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";"))
        scripts = directives.get("script-src", directives.get("default-src", "*"))
        if not policy:
            self.problems.append(f"{url}: no Content-Security-Policy header")
        elif scripts.split() != ["'self'"]:
            self.problems.append(f"{url}: the Content-Security-Policy lets scripts run from {scripts!r}")

    def csp_violations(self) -> None:
        """What the page broke of its Content-Security-Policy (see conftest's ``page``): each one a problem."""
        for violation in self.page.csp_violations:
            self.problem(f"Content-Security-Policy violation: {violation}")
            self.csp_violations_seen += 1
        self.page.csp_violations.clear()  # reported here, with the page it happened on

    # --- Links ------------------------------------------------------------------------------------

    def same_origin(self, href: str, on: str) -> str | None:
        url = urljoin(on, href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base:
            return None
        return urlunsplit(parts._replace(fragment=""))

    def links_on(self, url: str) -> list[str]:
        """The same-origin links of a page (our templates quote every attribute with double quotes)."""
        if url not in self._links:
            hrefs = (html.unescape(href) for href in _HREF.findall(self.html.get(url, "")))
            self._links[url] = list(dict.fromkeys(filter(None, (self.same_origin(h, url) for h in hrefs))))
        return self._links[url]

    def fetch(self, url: str, *, found_on: str) -> str | None:
        """Ask for ``url`` as the browser context does (same session), without rendering it; return the
        address it landed on (after redirects) when that is a page whose links count."""
        if url in self.landed:
            return self.landed[url]
        response = self.page.request.get(url)
        self.landed[url] = None
        if response.status != 200:
            self.problems.append(f"{url} (linked from {found_on}) answered {response.status}")
        elif urlsplit(response.url).path == "/login/" != urlsplit(url).path:
            self.problems.append(f"{url} (linked from {found_on}) sent the user to the sign-in page")
        elif response.headers.get("content-type", "").startswith("text/html"):
            self.check_csp(response.url, response.headers)
            self.landed[url] = response.url
            self.html.setdefault(response.url, response.text())
        return self.landed[url]

    # --- Pages in the browser ---------------------------------------------------------------------

    def settle(self) -> None:
        """Wait until the page's own follow-up requests (htmx fragments, scripts) are done."""
        deadline = time.monotonic() + 10
        while self._inflight and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
        self.csp_violations()

    def visit(self, url: str) -> None:
        self._current = url
        self.page.goto(url)
        self.settle()
        self.loaded.append(url)

    def click_to_load(self, locator: object) -> None:
        with self.page.expect_navigation():
            locator.click()
        self.clicks += 1
        self._current = self.page.url
        self.settle()

    def state(self) -> dict | None:
        return self.page.evaluate(LIST_STATE_JS)


def _check_pagination(walk: Walk, name: str, url: str) -> None:
    """ "Next" shows page 2 with other rows; each per-page link shows that many rows and keeps the query."""
    page = walk.page
    walk.visit(url)
    start = walk.state()
    if start is None:
        walk.problem(f"{name}: the browser shows no list (no per-page links)")
        return
    total = (_showing(start["showing"]) or (0, 0, 0))[2]
    first_rows = start["rows"]
    kept = {k: v for k, v in _query(page.url).items() if k not in {"page", "per_page"}}

    paged = []

    def next_shows_page_2(per_page: int) -> None:
        following = page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next", exact=True)
        if not following.count():
            walk.problem(f"{name}: {total} rows at {per_page} per page, and no Next link")
            return
        paged.append(per_page)
        walk.lists_paged.add(name.split("[")[0])  # a list of tabs pages if one of its tabs does
        walk.click_to_load(following)
        second = walk.state() or {"rows": [], "showing": ""}
        query = {k: v for k, v in _query(page.url).items() if k != "per_page"}
        if query != {**kept, "page": ["2"]}:
            walk.problem(f"{name}: Next went to {page.url}, not to page 2 of the same list")
        if not second["rows"] or set(second["rows"]) & set(first_rows):
            walk.problem(f"{name}: Next shows none or some of the rows of page 1 again")
        if (_showing(second["showing"]) or (0,))[0] != per_page + 1:
            walk.problem(f"{name}: page 2 does not start at row {per_page + 1} ({second['showing'][:40]!r})")

    if total > len(first_rows):
        next_shows_page_2(len(first_rows))
    walk.click_to_load(page.get_by_role("group", name="Rows per page").get_by_role("link", name="25", exact=True))
    query = _query(page.url)
    rows = (walk.state() or {"rows": []})["rows"]
    if query.get("per_page") != ["25"] or {k: v for k, v in query.items() if k != "per_page"} != kept:
        walk.problem(f"{name}: the per-page link 25 went to {page.url}, which lost or garbled the query")
    elif len(rows) != min(25, total):
        walk.problem(f"{name}: 25 per page shows {len(rows)} rows of {total}")
    first_rows = rows
    if not paged and total > 25:
        next_shows_page_2(25)


def _show_100_a_page(walk: Walk, name: str) -> None:
    """The per-page link 100 on a filtered, sorted list: 100 rows (or all), the filters and sort kept."""
    page = walk.page
    kept = {k: v for k, v in _query(page.url).items() if k not in {"page", "per_page"}}
    walk.click_to_load(page.get_by_role("group", name="Rows per page").get_by_role("link", name="100", exact=True))
    query = _query(page.url)
    state = walk.state() or {"rows": [], "showing": ""}
    total = (_showing(state["showing"]) or (0, 0, 0))[2]
    if query.get("per_page") != ["100"] or {k: v for k, v in query.items() if k != "per_page"} != kept:
        walk.problem(f"{name}: the per-page link 100 went to {page.url}, which lost or garbled the query")
    elif len(state["rows"]) != min(100, total):
        walk.problem(f"{name}: 100 per page shows {len(state['rows'])} rows of {total}")


def _list_rows_on_every_page(walk: Walk, name: str, spec: ListExport) -> list[str]:
    page = walk.page
    keys: list[str] = []
    for number in range(1, 60):
        keys += page.evaluate(ROW_KEYS_JS, spec.key_cell)
        following = page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next", exact=True)
        if not following.count():
            return keys
        walk.click_to_load(following)
        if _query(page.url).get("page") != [str(number + 1)]:
            walk.problem(f"{name}: Next from page {number} went to {page.url}")
            return keys
    walk.problem(f"{name}: more than 60 pages after filtering; choose a narrower filter")
    return keys


def _downloads(walk: Walk, state_url: str) -> Iterator[tuple[str, str, str]]:
    """Click every export link of the page at ``state_url``; yield (link text, file suffix, path)."""
    page = walk.page
    links = page.locator("a[href*='export=']")
    for index in range(links.count()):
        if page.url != state_url:
            walk.visit(state_url)
        link = links.nth(index)
        text = link.inner_text().strip()
        try:
            with page.expect_download(timeout=10_000) as info:
                link.click()
        except PlaywrightTimeoutError:  # the link opened a page instead
            walk.problem(f"the {text} export link did not download a file (the browser went to {page.url})")
            continue
        download = info.value
        suffix = "." + download.suggested_filename.rsplit(".", 1)[-1]
        expected = {"CSV": ".csv", "Excel": ".xlsx"}.get(text)
        if expected and suffix != expected:
            walk.problem(f"the {text} export link downloaded {download.suggested_filename}")
        yield text, suffix, download.path()


def _check_list_export(walk: Walk, name: str, url: str, spec: ListExport) -> None:
    page = walk.page
    if urlsplit(page.url).path != urlsplit(url).path:  # else go on from where the pagination check ended
        walk.visit(url)
    total = (_showing((walk.state() or {"showing": ""})["showing"]) or (0, 0, 0))[2]
    per_page = _query(page.url).get("per_page")
    if spec.sort:
        walk.click_to_load(page.locator("thead").get_by_role("link", name=spec.sort, exact=True))
    bar = page.get_by_role("search")
    applied = []
    for label, value in spec.filters:
        control = bar.get_by_label(label, exact=True)
        if not control.count():
            continue  # this role has no such filter
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
        applied.append(f"{label}={value}")
    if applied:
        walk.click_to_load(bar.get_by_role("button", name="Apply"))
        if _query(page.url).get("per_page") != per_page:
            walk.problem(f"{name}: applying a filter forgot the rows per page ({per_page} before, now {page.url})")
    if page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next", exact=True).count():
        _show_100_a_page(walk, name)
    keys = _list_rows_on_every_page(walk, name, spec)
    described = f"{name} filtered by {', '.join(applied) or 'nothing'}, sorted by {spec.sort or 'default'}"
    if spec.narrows and not 0 < len(keys) < total:
        walk.problem(f"{described}: {len(keys)} of {total} rows; choose a filter that keeps some rows")
    for text, suffix, path in _downloads(walk, page.url):
        walk.exports_checked.append(f"{name} {text}")
        file_keys = [spec.file_key(row) for row in _read_file(path, suffix)]
        if file_keys != keys:
            missing = [k for k in keys if k not in set(file_keys)][:3]
            extra = [k for k in file_keys if k not in set(keys)][:3]
            walk.problem(
                f"{described}: the {text} file has {len(file_keys)} rows, the list {len(keys)} "
                f"(missing {missing}, extra {extra}{', same rows in another order' if not missing + extra else ''})"
            )


def _check_breakdown_export(walk: Walk, name: str, url: str) -> None:
    """A report page: each table "By <dimension>" equals the file's rows of that dimension."""
    page = walk.page
    walk.visit(url)
    tables = page.evaluate(
        """() => [...document.querySelectorAll('.card')].filter(c => c.querySelector('.card-header h2') &&
             c.querySelector('table')).map(c => [c.querySelector('.card-header h2').innerText.replace(/^By /, ''),
             [...c.querySelectorAll('tbody tr')].map(tr => [tr.cells[0].innerText.trim(),
                                                             tr.cells[1].innerText.replace(/,/g, '').trim()])])"""
    )
    for text, suffix, path in _downloads(walk, url):
        walk.exports_checked.append(f"{name} {text}")
        rows = _read_file(path, suffix)
        for dimension, shown in tables:
            in_file = sorted([r["Value"], r["Accounts"]] for r in rows if r["Dimension"].lower() == dimension.lower())
            if in_file != sorted(shown):
                walk.problem(f"{name}: the {text} file's '{dimension}' rows differ from the page: {in_file[:3]} …")


def _check_json_download(walk: Walk, name: str, url: str, link_name: str) -> None:
    page = walk.page
    walk.visit(url)
    links = [link for link in page.locator("a[href]").all() if _url_name(link.evaluate("a => a.href")) == link_name]
    for link in links[:1]:
        with page.expect_download(timeout=10_000) as info:
            link.click()
        walk.exports_checked.append(f"{name} JSON")
        try:
            with open(info.value.path(), encoding="utf-8") as handle:
                document = json.load(handle)
        except ValueError as exc:
            walk.problem(f"{link_name} downloaded something that is not JSON ({exc})")
            continue
        if not document.get("criteria"):
            walk.problem(f"{link_name} downloaded a profile without criteria")


def _sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")


def _walk_two_clicks(walk: Walk, home: str) -> None:
    """The links on the home page, then the links on each page they open: every one must answer 200."""
    for url in walk.links_on(home):
        opened = walk.fetch(url, found_on=home)
        for link in walk.links_on(opened) if opened else []:
            walk.fetch(link, found_on=opened)


def _lists_and_downloads(walk: Walk) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The lists met, by URL pattern (unfiltered where the walk met that), and the pages offering downloads:
    (page's URL name, "export" or the download's URL name) -> the page."""
    lists: dict[str, str] = {}
    downloads: dict[tuple[str, str], str] = {}
    for url, body in walk.html.items():
        name = _url_name(url)
        # A page of tabs (My territory's ranked list, lists apart) is a list per tab: "my_territory[data]".
        tab = _query(url).get("list")
        key = f"{name}[{tab[0]}]" if tab else name
        filtered = {k for k in _query(url) if k != "list"}
        if 'aria-label="Rows per page"' in body and (
            key not in lists or ({k for k in _query(lists[key]) if k != "list"} and not filtered)
        ):
            lists[key] = url
        for link in walk.links_on(url):
            if "export" in _query(link):
                downloads.setdefault((name, "export"), url)
            elif _url_name(link) in JSON_DOWNLOADS:
                downloads.setdefault((name, _url_name(link)), url)
    return lists, downloads


@pytest.mark.parametrize("username", ROLES)
def test_every_link_list_and_export_of_the_role_works_in_the_browser(page, live_server, walk_data, username):
    started = time.monotonic()
    walk = Walk(page=page, base=live_server.url)
    walk.listen()
    _sign_in(page, username, walk_data)
    walk.settle()
    before = _data_fingerprint()
    home = page.url
    walk.html[home] = page.content()
    walk.loaded.append(home)
    _walk_two_clicks(walk, home)
    logout_links = [url for url in walk.landed if _url_name(url) == "logout"]
    assert not logout_links, f"signing out must be a POST form, not a link: {logout_links}"
    lists, downloads = _lists_and_downloads(walk)

    # In the browser: one page of every URL pattern (the list checks below load the lists).
    by_name: dict[str, str] = {}
    for url in walk.html:
        by_name.setdefault(_url_name(url), url)
    listed = {key.split("[")[0] for key in lists}
    for name, url in by_name.items():
        if name not in listed:
            walk.visit(url)
    for key, url in lists.items():
        name = key.split("[")[0]
        _check_pagination(walk, key, url)
        if name in LIST_EXPORTS and downloads.pop((name, "export"), None):
            _check_list_export(walk, name, url, LIST_EXPORTS[name])
    for (name, offer), url in downloads.items():
        if offer in JSON_DOWNLOADS:
            _check_json_download(walk, name, url, offer)
        elif name in LIST_EXPORTS:  # a list with no rows for this role
            _check_list_export(walk, name, url, LIST_EXPORTS[name])
        elif name in BREAKDOWN_EXPORTS:
            _check_breakdown_export(walk, name, url)
        else:
            walk.problems.append(f"{url} has export links that no check of this walk knows: add one")

    for name in sorted(MULTI_PAGE_LISTS - walk.lists_paged):
        walk.problems.append(f"{name}: expected several pages for {username}, so that Next is checked")
    for export in sorted(EVERY_ROLES_EXPORTS - set(walk.exports_checked)):
        walk.problems.append(f"{export}: the walk never downloaded it")
    after = _data_fingerprint()
    changed = sorted(label for label in before if before[label] != after.get(label))
    if changed:
        walk.problems.append(f"following GET links changed data in: {', '.join(changed)}")
    print(
        f"\n{username}: {len(walk.landed)} links answered, {len(walk.loaded)} pages opened in the browser "
        f"({len({_url_name(u) for u in walk.loaded})} URL patterns) and {walk.clicks} by clicking, "
        f"lists paged: {sorted(walk.lists_paged)}, "
        f"{len(walk.exports_checked)} downloads checked: {walk.exports_checked}; "
        f"{len(walk.csp_pages)} pages with a Content-Security-Policy checked, "
        f"{len(walk.loaded) + walk.clicks} rendered in the browser: {walk.csp_violations_seen} violations; "
        f"{time.monotonic() - started:.1f} s"
    )
    if walk.problems:
        pytest.fail(f"{len(walk.problems)} problems for {username}:\n" + "\n".join(walk.problems), pytrace=False)
