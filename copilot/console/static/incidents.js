// CX Copilot incidents page: declare an incident, follow its broadcast (refreshed every 3 s),
// pause, resume or cancel it, and read its report. Uses the console's token from localStorage.
"use strict";
(function () {
  const KEY = "cxc_token";
  const $ = (sel) => document.querySelector(sel);
  const COLUMNS = ["pending", "sending", "sent", "failed", "opted_out", "unreachable", "cancelled"];

  async function call(method, url, body) {
    const res = await fetch(url, {
      method,
      headers: { Authorization: "Bearer " + localStorage.getItem(KEY), "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 || res.status === 403) { showLogin(); throw new Error("supervisor token needed"); }
    const data = await res.json();
    if (!res.ok) throw new Error(typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail));
    return data;
  }

  function showLogin() { $("#login").hidden = false; $("#incidents").hidden = true; }

  function iso(local) { return local ? new Date(local).toISOString() : null; }

  function draft(form) {
    const f = new FormData(form);
    const text = (k) => (f.get(k) || "").trim();
    const messages = {};
    for (const lang of ["ru", "uk", "ro", "en"]) { if (text("msg_" + lang)) messages[lang] = text("msg_" + lang); }
    const segment = {};
    for (const k of ["region", "product", "order_status", "csv"]) { if (text(k)) segment[k] = text(k); }
    for (const k of ["promised_from", "promised_to"]) { if (text(k)) segment[k] = iso(text(k)); }
    const body = { title: text("title"), messages, segment };
    const keywords = text("keywords").split(",").map((w) => w.trim()).filter(Boolean);
    if (keywords.length) body.keywords = keywords;
    if (text("comp_type")) {
      body.compensation = { type: text("comp_type"), amount: Number(text("comp_amount") || 0) };
      if (text("comp_currency")) body.compensation.currency = text("comp_currency").toUpperCase();
    }
    if (text("ends_at")) body.ends_at = iso(text("ends_at"));
    return body;
  }

  function cell(row, value) { const td = document.createElement("td"); td.textContent = value; row.appendChild(td); }

  function button(label, action) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.dataset.action = action;
    return b;
  }

  async function refresh() {
    const rows = await call("GET", "/v1/incidents");
    const body = $("#list tbody");
    body.replaceChildren();
    for (const i of rows) {
      const tr = document.createElement("tr");
      tr.dataset.id = i.id;
      [i.id, i.title, i.status, i.progress.affected, ...COLUMNS.map((c) => i.progress[c])].forEach((v) => cell(tr, v));
      const td = document.createElement("td");
      if (i.status === "active") td.append(button("Pause", "pause"));
      if (i.status === "paused") td.append(button("Resume", "resume"));
      if (i.status !== "cancelled") td.append(button("Cancel", "cancel"));
      td.append(button("Report", "report"));
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  async function report(id) {
    const r = await call("GET", "/v1/incidents/" + id + "/report");
    const pct = (x) => (100 * x).toFixed(1) + "%";
    const items = [
      ["Notified", r.notified], ["Delivered", r.delivered], ["Failed", r.failed],
      ["Affected who wrote", r.affected_contacts + " (" + pct(r.affected_contact_rate) + ")"],
      ["Unaffected who wrote", pct(r.baseline_contact_rate)],
      ["Answered with the incident", r.tagged_cases], ["Of them without a person", r.deflected],
      ["CSAT of the affected", r.affected_csat === null ? "—" : r.affected_csat + " (" + r.csat_answers + ")"],
      ["Compensation offered", r.compensation_value + (r.currency ? " " + r.currency : "")],
    ];
    $("#report").replaceChildren(...items.map(([k, v]) => {
      const d = document.createElement("div"); d.className = "kpi";
      const b = document.createElement("b"); b.textContent = v;
      const s = document.createElement("span"); s.textContent = k;
      d.append(b, s); return d;
    }));
  }

  $("#declare").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#declare-error").textContent = "";
    try {
      const made = await call("POST", "/v1/incidents", draft(ev.target));
      $("#status").textContent = "Incident #" + made.id + " declared: " + made.affected + " customers affected.";
      ev.target.reset();
      await refresh();
    } catch (err) { $("#declare-error").textContent = err.message; }
  });

  $("#list").addEventListener("click", async (ev) => {
    const action = ev.target.dataset && ev.target.dataset.action;
    if (!action) return;
    const id = ev.target.closest("tr").dataset.id;
    try {
      if (action === "report") await report(id);
      else { await call("POST", "/v1/incidents/" + id + "/" + action); await refresh(); }
    } catch (err) { $("#status").textContent = err.message; }
  });

  if (!localStorage.getItem(KEY)) { showLogin(); return; }
  $("#incidents").hidden = false;
  refresh().catch((err) => { $("#status").textContent = err.message; });
  setInterval(() => refresh().catch(() => {}), 3000);
})();
