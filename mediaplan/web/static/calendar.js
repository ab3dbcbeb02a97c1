// Drag a coverage to another day to reschedule it, or, with the keyboard, its "Dời lịch" button and the move
// dialog; click a day to add a story. No page reload: the server answers with the coverage as it now is, and the
// card moves to the day it reports. Results are announced in the page's live region (#cal-status).
(function () {
  const grid = document.getElementById("month");
  if (!grid || grid.dataset.readonly === "true") return;
  // Every change carries the session's CSRF token (the page's <meta name="csrf-token">); the server refuses it otherwise.
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const JSON_HEADERS = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
  const API = "/api/v1";
  const status = (msg) => {
    let el = document.getElementById("cal-status");
    if (!el) { el = document.createElement("p"); el.id = "cal-status"; el.setAttribute("role", "status"); grid.before(el); }
    el.textContent = msg;
  };
  const dmy = (iso) => iso.split("-").reverse().join("/");
  // What the script says, in the page's language: the template writes the catalogue's strings into a JSON data
  // block (#cal-messages); "{name}" marks a value. Vietnamese is the fallback when the block is missing.
  const MESSAGES = (() => { try { return JSON.parse(document.getElementById("cal-messages").textContent); } catch (_) { return {}; } })();
  const t = (key, fallback, values = {}) =>
    (MESSAGES[key] || fallback).replace(/\{(\w+)\}/g, (m, name) => (name in values ? values[name] : m));
  // The server's one-line refusal: {"detail": "…"} from the planning code, {"detail": [{"msg": …}]} from validation.
  const refusal = async (resp) => {
    const text = await resp.text();
    try {
      const detail = JSON.parse(text).detail;
      if (typeof detail === "string") return detail;
      if (Array.isArray(detail)) return detail.map((d) => d.msg).join("; ");
    } catch (_) { /* not JSON: the text as it is */ }
    return text || t("error", "lỗi {status}", { status: resp.status });
  };

  // One move, whichever way it was asked for (drop or dialog): the same endpoint, the same redraw.
  async function moveCoverage(id, body) {
    const resp = await fetch(`${API}/coverages/${id}/move`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
    if (!resp.ok) { const why = await refusal(resp); status(t("not_moved", "Không dời được: {why}", { why })); return { error: why }; }
    const moved = await resp.json();
    const chip = document.getElementById("coverage-" + id);
    const target = grid.querySelector(`td[data-date="${moved.date}"]`);
    if (chip && target) {
      target.appendChild(chip);
      const time = chip.querySelector(".time");
      if (time && moved.time) time.textContent = moved.time;
    } else if (chip) chip.remove(); // moved out of the days shown
    status(t("moved", "Đã dời “{title}” sang ngày {date} {time}", { title: moved.title, date: dmy(moved.date), time: moved.time }));
    return { moved, chip: target ? chip : null };
  }

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
    await moveCoverage(e.dataTransfer.getData("text/plain"), { date: td.dataset.date });
  });

  // The keyboard's drag and drop: "Dời lịch" on a card opens a dialog with the day (and time) to move it to.
  const mover = document.getElementById("move-dialog");
  const moveForm = document.getElementById("move-form");
  let opener = null; // the button that opened the dialog: focus goes back to it
  let original = null; // {id, date, time} as the card stood
  grid.addEventListener("click", (e) => {
    const button = e.target.closest("button.move-open");
    if (!button || !mover) return;
    e.stopPropagation();
    const chip = button.closest(".coverage");
    const time = chip.querySelector(".time");
    original = { id: chip.dataset.id, date: chip.closest("td[data-date]").dataset.date, time: time ? time.textContent.trim() : "08:00" };
    opener = button;
    moveForm.reset();
    moveForm.elements.date.value = original.date;
    moveForm.elements.time.value = original.time;
    document.getElementById("mv-what").textContent = t("now_at", "“{title}”, đang xếp ngày {date} lúc {time}", { title: button.dataset.title, date: dmy(original.date), time: original.time });
    document.getElementById("mv-error").textContent = "";
    mover.showModal();
    moveForm.elements.date.focus();
  });
  if (mover) {
    mover.addEventListener("close", () => {
      if (opener && opener.isConnected) opener.focus();
      else { grid.tabIndex = -1; grid.focus(); } // the card left the days shown
      opener = null;
    });
    // "Hủy" is a plain button, so Enter in a field saves (the form's one submit button is "Lưu"); Escape also closes.
    document.getElementById("mv-cancel").addEventListener("click", () => mover.close());
    moveForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = moveForm.elements;
      if (!f.date.value) { document.getElementById("mv-error").textContent = t("need_day", "Cần chọn ngày."); f.date.focus(); return; }
      const body = f.time.value && f.time.value !== original.time ? { publish_at: `${f.date.value}T${f.time.value}` } : { date: f.date.value };
      const result = await moveCoverage(original.id, body);
      if (result.error) { document.getElementById("mv-error").textContent = result.error; f.date.focus(); return; }
      mover.close();
    });
  }

  // A link the monitor only suggested: the editor says whether that item is the planned coverage.
  grid.addEventListener("click", async (e) => {
    const button = e.target.closest(".suggest button");
    if (!button) return;
    e.stopPropagation();
    const box = button.parentElement;
    const resp = await fetch(`${API}/coverages/${box.dataset.coverage}/deliveries/${box.dataset.item}`, {
      method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ accept: button.dataset.accept === "true" }),
    });
    if (!resp.ok) { status(t("not_saved", "Không lưu được: {why}", { why: await refusal(resp) })); return; }
    const c = await resp.json();
    box.previousElementSibling.textContent = button.dataset.accept === "true" ? "✓ " + t("published", "đã đăng") : "";
    box.remove();
    status(button.dataset.accept === "true" ? t("confirmed", "“{title}”: đã xác nhận đã đăng", { title: c.title })
                                            : t("rejected", "“{title}”: đã bỏ gợi ý", { title: c.title }));
  }, true);

  const dialog = document.getElementById("quick-add");
  const form = document.getElementById("quick-form");
  grid.addEventListener("click", (e) => {
    const td = e.target.closest("td[data-date]");
    if (!td || e.target.closest(".coverage, a, button")) return;
    form.reset();
    form.elements.date.value = td.dataset.date;
    document.getElementById("qa-day").textContent = dmy(td.dataset.date);
    document.getElementById("qa-error").textContent = "";
    dialog.showModal();
  });
  form.addEventListener("submit", async (e) => {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault();
    const f = form.elements;
    const body = { title: f.title.value, date: f.date.value, time: f.time.value, platform: f.platform.value,
                   format: f.format.value, themes: f.theme.value ? [f.theme.value] : [], assignee: f.assignee.value || null };
    const resp = await fetch(`${API}/stories`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
    if (!resp.ok) { document.getElementById("qa-error").textContent = await refusal(resp); return; }
    const made = await resp.json();
    const platformName = f.platform.selectedOptions.length ? f.platform.selectedOptions[0].textContent : "";
    for (const c of made.coverages) {
      const chip = document.createElement("div");
      chip.className = "coverage " + c.status; chip.id = "coverage-" + c.id; chip.dataset.id = c.id; chip.draggable = true;
      const time = document.createElement("span");
      time.className = "time"; time.textContent = c.time;
      chip.append(time, ` ${c.title}`, document.createElement("br"));
      if (mover) {
        const open = document.createElement("button");
        open.type = "button"; open.className = "move-open"; open.dataset.title = c.title;
        open.setAttribute("aria-haspopup", "dialog");
        open.setAttribute("aria-label", t("move_label", "Dời lịch “{title}” ({platform})", { title: c.title, platform: platformName }));
        open.textContent = t("move", "Dời lịch");
        chip.append(open);
      }
      const td = grid.querySelector(`td[data-date="${c.date}"]`);
      if (td) td.appendChild(chip);
    }
    dialog.close();
    status(t("added", "Đã thêm “{title}”", { title: body.title }));
  });
})();
