// salesplan: behaviour shared by every page. Keep it small; htmx does the interactivity.
document.addEventListener("htmx:responseError", (event) => {
  // A failed poll or swap should say so instead of silently freezing the page.
  const target = event.detail.target;
  if (target && !target.querySelector(".htmx-error")) {
    const note = document.createElement("div");
    note.className = "alert alert-warning small mt-2 htmx-error";
    note.textContent = "Could not refresh just now; retrying. Reload the page if this stays.";
    target.appendChild(note);
  }
});
