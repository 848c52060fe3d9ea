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
