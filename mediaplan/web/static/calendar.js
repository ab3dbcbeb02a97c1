// Drag a coverage to another day to reschedule it; click a day to add a story. No page reload:
// the server answers with the coverage as it now is, and the chip moves to the day it reports.
(function () {
  const grid = document.getElementById("month");
  if (!grid || grid.dataset.readonly === "true") return;
  // Every change carries the session's CSRF token (the page's <meta name="csrf-token">); the server refuses it otherwise.
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const JSON_HEADERS = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
  const status = (msg) => { let el = document.getElementById("cal-status"); if (!el) { el = document.createElement("p"); el.id = "cal-status"; el.setAttribute("role", "status"); grid.before(el); } el.textContent = msg; };

  grid.addEventListener("dragstart", (e) => {
    const chip = e.target.closest(".coverage");
    if (!chip) return;
    e.dataTransfer.setData("text/plain", chip.dataset.id);
    e.dataTransfer.effectAllowed = "move";
  });
  grid.addEventListener("dragover", (e) => { if (e.target.closest("td[data-date]")) { e.preventDefault(); e.target.closest("td").classList.add("over"); } });
  grid.addEventListener("dragleave", (e) => { const td = e.target.closest("td"); if (td) td.classList.remove("over"); });
  grid.addEventListener("drop", async (e) => {
    const td = e.target.closest("td[data-date]");
    if (!td) return;
    e.preventDefault();
    td.classList.remove("over");
    const id = e.dataTransfer.getData("text/plain");
    const chip = document.getElementById("coverage-" + id);
    const resp = await fetch(`/api/coverages/${id}/move`, {
      method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ date: td.dataset.date }),
    });
    if (!resp.ok) { status("Không dời được: " + (await resp.text())); return; }
    const moved = await resp.json();
    const target = grid.querySelector(`td[data-date="${moved.date}"]`);
    if (chip && target) target.appendChild(chip); else if (chip) chip.remove();
    status(`Đã dời “${moved.title}” sang ${moved.date.split("-").reverse().join("/")} ${moved.time}`);
  });

  // A link the monitor only suggested: the editor says whether that item is the planned coverage.
  grid.addEventListener("click", async (e) => {
    const button = e.target.closest(".suggest button");
    if (!button) return;
    e.stopPropagation();
    const box = button.parentElement;
    const resp = await fetch(`/api/coverages/${box.dataset.coverage}/deliveries/${box.dataset.item}`, {
      method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ accept: button.dataset.accept === "true" }),
    });
    if (!resp.ok) { status("Không lưu được: " + (await resp.text())); return; }
    const c = await resp.json();
    box.previousElementSibling.textContent = button.dataset.accept === "true" ? "✓ đã đăng" : "";
    box.remove();
    status(`“${c.title}”: ${button.dataset.accept === "true" ? "đã xác nhận đã đăng" : "đã bỏ gợi ý"}`);
  }, true);

  const dialog = document.getElementById("quick-add");
  const form = document.getElementById("quick-form");
  grid.addEventListener("click", (e) => {
    const td = e.target.closest("td[data-date]");
    if (!td || e.target.closest(".coverage, a, button")) return;
    form.reset();
    form.elements.date.value = td.dataset.date;
    document.getElementById("qa-day").textContent = td.dataset.date.split("-").reverse().join("/");
    document.getElementById("qa-error").textContent = "";
    dialog.showModal();
  });
  form.addEventListener("submit", async (e) => {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault();
    const f = form.elements;
    const body = { title: f.title.value, date: f.date.value, time: f.time.value, platform: f.platform.value,
                   format: f.format.value, themes: f.theme.value ? [f.theme.value] : [], assignee: f.assignee.value || null };
    const resp = await fetch("/api/stories", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
    if (!resp.ok) { document.getElementById("qa-error").textContent = await resp.text(); return; }
    const made = await resp.json();
    for (const c of made.coverages) {
      const chip = document.createElement("div");
      chip.className = "coverage " + c.status; chip.id = "coverage-" + c.id; chip.dataset.id = c.id; chip.draggable = true;
      chip.textContent = `${c.time} ${c.title}`;
      const td = grid.querySelector(`td[data-date="${c.date}"]`);
      if (td) td.appendChild(chip);
    }
    dialog.close();
    status(`Đã thêm “${body.title}”`);
  });
})();
