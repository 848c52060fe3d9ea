// salesplan: behaviour shared by every page. Keep it small; htmx does the interactivity.
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  // A refused action (400/422) answers with a sentence for the user: show it where they acted.
  if (xhr && (xhr.status === 400 || xhr.status === 422) && xhr.responseText) {
    const origin = event.detail.elt;
    const place = (origin && origin.closest("td")) || origin;
    const old = place && place.querySelector(".htmx-error");
    if (old) old.remove();
    const note = document.createElement("div");
    note.className = "small text-danger htmx-error";
    note.setAttribute("role", "alert");
    note.textContent = xhr.responseText;
    if (place) place.appendChild(note);
    return;
  }
  // A failed poll or swap should say so instead of silently freezing the page.
  const target = event.detail.target;
  if (target && !target.querySelector(".htmx-error")) {
    const note = document.createElement("div");
    note.className = "alert alert-warning small mt-2 htmx-error";
    note.textContent = "Could not refresh just now; retrying. Reload the page if this stays.";
    target.appendChild(note);
  }
});

// Charts drawn inside a closed <details> have no size yet: redraw them when it opens.
document.addEventListener("toggle", (event) => {
  if (event.target.tagName === "DETAILS" && event.target.open) window.dispatchEvent(new Event("resize"));
}, true);

// A "Print" button: <button data-print>.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// Rows of a Django formset added in the page: <button data-formset-add="PREFIX"> appends the
// <template id="PREFIX-empty"> (the formset's empty_form, "__prefix__" standing for its index) to
// [data-formset-body="PREFIX"] and counts it in PREFIX-TOTAL_FORMS.
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-formset-add]");
  if (!add) return;
  const prefix = add.dataset.formsetAdd;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const template = document.getElementById(`${prefix}-empty`);
  const body = document.querySelector(`[data-formset-body="${prefix}"]`);
  if (!total || !template || !body) return;
  const index = Number(total.value);
  body.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", String(index)));
  total.value = String(index + 1);
  const first = body.lastElementChild && body.lastElementChild.querySelector("input:not([type=hidden]), textarea, select");
  if (first) first.focus();
});

// <button data-remove> takes its [data-removable] element out of the page: a formset row never saved (the
// formset skips the index it leaves out), or a chosen item whose hidden input goes with it.
document.addEventListener("click", (event) => {
  const remove = event.target.closest("[data-remove]");
  if (!remove) return;
  const item = remove.closest("[data-removable]");
  if (item) item.remove();
});

// An ICP criterion shows the inputs its kind uses: elements marked data-kinds="range category" are shown
// for those kinds (and for a new row whose kind is not chosen yet), hidden but still sent otherwise.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!select.name || !select.name.endsWith("-kind")) return;
  const row = select.closest("[data-criterion]");
  if (!row) return;
  row.querySelectorAll("[data-kinds]").forEach((element) => {
    element.classList.toggle("d-none", Boolean(select.value) && !element.dataset.kinds.split(" ").includes(select.value));
  });
});

// A search box inside a bigger form (data-enter-stays): Enter searches, it does not submit the form.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.closest && event.target.closest("[data-enter-stays]")) event.preventDefault();
});

// A select that submits its form when changed: <select data-submit-on-change>. (The page's
// Content-Security-Policy runs no inline handler such as onchange="…".)
document.addEventListener("change", (event) => {
  const select = event.target.closest && event.target.closest("[data-submit-on-change]");
  if (select && select.form) select.form.requestSubmit();
});

// Charts: segmentation.charts.chart_html writes <div data-chart> holding the figure as a JSON data block and
// the element to draw it in; they are drawn here (no inline script), on load and in content htmx brings.
function drawCharts(root) {
  if (!window.Plotly || !root.querySelectorAll) return;
  root.querySelectorAll("[data-chart]:not([data-drawn])").forEach((chart) => {
    const data = chart.querySelector('script[type="application/json"]');
    const target = chart.querySelector(".plotly-graph-div");
    if (!data || !target) return;
    chart.dataset.drawn = "";
    const figure = JSON.parse(data.textContent);
    window.Plotly.newPlot(target, figure.data, figure.layout, figure.config);
  });
}
drawCharts(document);
document.addEventListener("htmx:load", (event) => drawCharts(event.detail.elt));
