// CX Copilot knowledge candidates: lists proposed candidates from /v1/knowledge/candidates and
// approves or rejects them. Token from the console's localStorage; text set via textContent.
"use strict";
(function () {
  const KEY = "cxc_token";
  const $ = (sel) => document.querySelector(sel);

  async function call(method, url) {
    const res = await fetch(url, { method, headers: { Authorization: "Bearer " + localStorage.getItem(KEY) } });
    if (res.status === 401) { $("#login").hidden = false; $("#knowledge").hidden = true; throw new Error("log in first"); }
    if (!res.ok) {
      let detail = res.statusText;
      try { detail = (await res.json()).detail; } catch (e) { /* not JSON */ }
      throw new Error(res.status + ": " + detail);
    }
    return res.json();
  }

  function say(text, isError) { $("#status").textContent = text; $("#status").className = isError ? "error" : ""; }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function button(td, label, action, id) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.dataset.action = action; b.dataset.id = id;
    td.appendChild(b);
  }

  function entryText(c) {
    if (c.new_entry_answer === null) return c.entry_id;
    return "NEW " + c.entry_id + ": " + c.new_entry_question + " → " + c.new_entry_answer;
  }

  function nearestText(c) {
    return (c.nearest || []).map((n) => n.entry_id + " (" + n.score.toFixed(2) + ")").join(", ");
  }

  async function load() {
    const rows = await call("GET", "/v1/knowledge/candidates?status=proposed");
    const body = $("#candidates tbody");
    body.replaceChildren();
    for (const c of rows) {
      const row = body.insertRow();
      row.id = "candidate-" + c.id;
      cell(row, "#" + c.case_id);
      cell(row, c.text);
      cell(row, entryText(c));
      cell(row, nearestText(c), "muted");
      cell(row, c.proposed_by, "muted");
      const td = row.insertCell();
      button(td, "Approve", "approve", c.id);
      button(td, "Reject", "reject", c.id);
    }
    $("#empty").hidden = rows.length > 0;
  }

  async function start() {
    try {
      const me = await call("GET", "/v1/users/me");
      $("#whoami").textContent = me.name + " (" + me.role + ")";
      if (me.role === "operator") { $("#login").hidden = false; return; }
      $("#knowledge").hidden = false;
      await load();
    } catch (err) { say(err.message, true); }
  }

  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (!b) return;
    b.disabled = true;
    try {
      await call("POST", "/v1/knowledge/candidates/" + b.dataset.id + "/" + b.dataset.action);
      say(b.dataset.action === "approve" ? "Approved: the bot answers it now" : "Rejected");
      await load();
    } catch (err) { say(err.message, true); b.disabled = false; }
  });

  if (!localStorage.getItem(KEY)) { $("#login").hidden = false; } else { start(); }
})();
