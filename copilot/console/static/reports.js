// CX Copilot supervisor dashboard: reads the console's token from localStorage, fetches
// /v1/reports/* and draws small inline-SVG charts. No library, nothing from a CDN.
"use strict";
(function () {
  const KEY = "cxc_token";
  const $ = (sel) => document.querySelector(sel);
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#2a6fdb", "#e0742b", "#3a9d5d", "#b03aa8", "#888"];
  const W = 420, H = 180, PAD = 28;

  async function get(url) {
    const res = await fetch(url, { headers: { Authorization: "Bearer " + localStorage.getItem(KEY) } });
    if (res.status === 401 || res.status === 403) { showLogin(); throw new Error("supervisor token needed"); }
    if (!res.ok) throw new Error(res.status + " " + res.statusText);
    return res;
  }

  async function send(url, body) {
    const res = await fetch(url, { method: "POST", body: JSON.stringify(body), headers: {
      Authorization: "Bearer " + localStorage.getItem(KEY), "Content-Type": "application/json" } });
    const data = await res.json();
    if (!res.ok) throw new Error(typeof data.detail === "string" ? data.detail : res.status + " " + res.statusText);
    return data;
  }

  function showLogin() { $("#login").hidden = false; $("#reports").hidden = true; }

  // The To date is the last day counted; the API's window ends before `to`, so it gets the day after.
  function nextDay(day) {
    const d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  function query(extra) {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData($("#filters"))) { if (v) p.set(k, k === "to" ? nextDay(v) : v); }
    for (const k in extra || {}) p.set(k, extra[k]);
    return p.toString();
  }

  async function download(url, name) {
    const blob = await (await get(url)).blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const v of cells) {
      const td = document.createElement("td");
      if (v instanceof Node) td.appendChild(v); else td.textContent = v ?? "–";
      tr.appendChild(td);
    }
    return tr;
  }

  // A count that opens the list of its cases.
  function link(text, figure, extra, title) {
    const a = document.createElement("a");
    a.className = "drill";
    a.textContent = text;
    a.title = "List these cases";
    a.addEventListener("click", () => drill(figure, extra, title).catch(failed));
    return a;
  }

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(target) {
    const root = el("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img" });
    root.appendChild(el("line", { x1: PAD, y1: H - PAD, x2: W - 4, y2: H - PAD, stroke: "#999" }));
    root.appendChild(el("line", { x1: PAD, y1: 4, x2: PAD, y2: H - PAD, stroke: "#999" }));
    $(target).replaceChildren(root);
    return root;
  }

  function empty(target) { $(target).innerHTML = "<p class='muted'>No data</p>"; }

  function bars(target, labels, series) {
    if (!labels.length) return empty(target);
    const root = svg(target);
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const slot = (W - PAD - 4) / labels.length, bw = Math.max(2, (slot - 4) / series.length);
    labels.forEach((label, i) => {
      series.forEach((s, j) => {
        const h = (H - 2 * PAD) * s.values[i] / max;
        const x = PAD + i * slot + 2 + j * bw;
        const bar = el("rect", { x, y: H - PAD - h, width: bw, height: h, fill: COLORS[j % 5] });
        bar.appendChild(el("title", {}, s.name + " " + label + ": " + s.values[i]));
        root.appendChild(bar);
      });
      if (labels.length <= 12 || i % Math.ceil(labels.length / 12) === 0) {
        root.appendChild(el("text", { x: PAD + i * slot + 2, y: H - PAD + 12 }, label));
      }
    });
    root.appendChild(el("text", { x: 2, y: 12 }, String(max)));
    legend(root, series.map((s) => s.name));
  }

  function legend(root, names) {
    names.forEach((n, j) => root.appendChild(
      el("text", { x: W - 90, y: 12 + j * 12, fill: COLORS[j % 5], style: "fill:" + COLORS[j % 5] }, n)));
  }

  function lines(target, days, series, top) {
    if (!days.length) return empty(target);
    const root = svg(target);
    const x = (i) => PAD + (days.length === 1 ? 0.5 : i / (days.length - 1)) * (W - PAD - 10);
    const y = (v) => H - PAD - (H - 2 * PAD) * v / top;
    series.forEach((s, j) => {
      const pts = s.values.map((v, i) => (v === null ? null : x(i) + "," + y(v))).filter(Boolean);
      root.appendChild(el("polyline", { points: pts.join(" "), fill: "none", stroke: COLORS[j % 5] }));
      s.values.forEach((v, i) => { if (v !== null) root.appendChild(el("circle", { cx: x(i), cy: y(v), r: 2.5, fill: COLORS[j % 5] })); });
    });
    root.appendChild(el("text", { x: 2, y: 12 }, String(top)));
    root.appendChild(el("text", { x: PAD, y: H - PAD + 12 }, days[0]));
    root.appendChild(el("text", { x: W - 70, y: H - PAD + 12 }, days[days.length - 1]));
    legend(root, series.map((s) => s.name));
  }

  function scatter(target, points) {
    if (!points.length) return empty(target);
    const root = svg(target);
    const maxV = Math.max(1, ...points.map((p) => p.value));
    points.forEach((p) => {
      const cx = PAD + (W - PAD - 10) * p.value / maxV;
      const cy = p.csat === null ? H - PAD - 4 : H - PAD - (H - 2 * PAD) * p.csat / 5;
      const dot = el("circle", { cx, cy, r: 4, fill: p.csat === null ? "#bbb" : COLORS[0] });
      dot.appendChild(el("title", {}, "case " + p.case_id + ": " + p.value + ", CSAT " + (p.csat ?? "-")));
      root.appendChild(dot);
    });
    root.appendChild(el("text", { x: 2, y: 12 }, "CSAT 5"));
    root.appendChild(el("text", { x: W - 60, y: H - PAD + 12 }, String(maxV)));
  }

  function fmt(name, v) {
    if (v === null || v === undefined) return "no data";
    if (name.endsWith("_rate") || name === "csat_pct_satisfied") return (100 * v).toFixed(1) + "%";
    if (name.endsWith("_s")) return v < 3600 ? (v / 60).toFixed(1) + " min" : (v / 3600).toFixed(1) + " h";
    return Number.isInteger(v) ? String(v) : v.toFixed(2);
  }

  const LABELS = window.CXC_LABELS;
  // The figures whose cases can be listed, and the drill-down figure of each.
  const DRILL = { cases_opened: "opened", escalations: "escalations", cases_resolved: "resolved",
    bot_contained: "contained", reopen_rate: "reopened" };

  function kpis(summary) {
    $("#kpis").replaceChildren(...Object.entries(summary).map(([k, v]) => {
      const box = document.createElement("div");
      const [label, meaning] = LABELS[k] || [k, k];
      box.className = "kpi" + (DRILL[k] ? " drillable" : "");
      box.title = meaning + (DRILL[k] ? ". Click to list the cases." : "");
      if (DRILL[k]) box.addEventListener("click", () => drill(DRILL[k], {}, label).catch(failed));
      box.dataset.key = k;
      box.innerHTML = "<b></b><span></span>";
      box.querySelector("b").textContent = fmt(k, v);
      if (v === null) box.querySelector("b").className = "nodata";
      box.querySelector("span").textContent = label;
      return box;
    }));
  }

  function charts(s) {
    bars("#chart-ttr", s.ttr_histogram.map((b) => b.bucket),
      [{ name: "cases", values: s.ttr_histogram.map((b) => b.cases) }]);
    satisfaction(s.satisfaction, s.satisfaction_channels);
    bars("#chart-daily", s.daily.map((d) => d.day.slice(5)), [
      { name: "contained", values: s.daily.map((d) => d.contained) },
      { name: "escalated", values: s.daily.map((d) => d.escalated) },
    ]);
    scatter("#chart-comp", s.compensation_vs_csat);
  }

  // CSAT/CES lines for the channels and scores with answers; the others say "no data".
  function satisfaction(rows, channels) {
    const days = [...new Set(rows.map((r) => r.day))];
    const series = [], missing = [];
    for (const c of channels) {
      for (const m of ["csat", "ces"]) {
        const name = c.channel + " " + m.toUpperCase();
        if (!c[m + "_answers"]) { missing.push(name); continue; }
        series.push({ name, values: days.map((d) => {
          const r = rows.find((x) => x.day === d && x.channel === c.channel);
          return r ? r[m + "_avg"] : null;
        }) });
      }
    }
    if (series.length) lines("#chart-sat", days, series, 7);
    else $("#chart-sat").innerHTML = "<p class='nodata'>No data: no CSAT or CES answers in this period</p>";
    if (series.length && missing.length) {
      const p = document.createElement("p");
      p.className = "nodata";
      p.textContent = "No data: " + missing.join(", ");
      $("#chart-sat").appendChild(p);
    }
    $("#sat-channels tbody").replaceChildren(...channels.map((c) => row([c.channel,
      link(String(c.resolved), "resolved", { channel: c.channel }, "Resolved on " + c.channel),
      c.csat_answers || "no data", c.ces_answers || "no data"])));
  }

  function reasons(rows) {
    $("#reasons tbody").replaceChildren(...rows.map((r) => {
      const of = (fig, text, what) => link(text, fig, { reason: r.reason }, what + ": " + r.label);
      return row([r.label, of("opened", String(r.cases), "Cases"), fmt("share_rate", r.share),
        of("escalations", fmt("x_rate", r.escalation_rate), "Escalated"),
        of("low_csat", fmt("x_rate", r.low_csat_rate) + " of " + r.csat_answers, "Low CSAT"),
        fmt("x_rate", r.repeat_rate)]);
    }));
  }

  let drilled = null;

  async function drill(figure, extra, title) {
    drilled = { figure, ...extra };
    const rows = await (await get("/v1/reports/cases?" + query(drilled))).json();
    $("#drill-title").textContent = title + ": " + rows.length + " case" + (rows.length === 1 ? "" : "s");
    $("#drill-cases tbody").replaceChildren(...rows.map((c) => row(["#" + c.case_id,
      "#" + c.customer_id, c.channel, c.topic, c.status, c.operator, c.opened_at.slice(0, 16).replace("T", " "),
      c.resolved_at && c.resolved_at.slice(0, 16).replace("T", " "), c.escalated ? "yes" : "no", c.csat])));
    $("#drill").hidden = false;
    $("#drill").scrollIntoView({ block: "nearest" });
  }

  function recovery(r) {
    const flat = Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== "object" || v === null));
    $("#recovery").replaceChildren(...Object.entries(flat).map(([k, v]) => {
      const box = document.createElement("div");
      box.className = "kpi";
      box.innerHTML = "<b></b><span></span>";
      const [label, meaning] = LABELS[k] || [k, k];
      box.title = meaning;
      box.querySelector("b").textContent = fmt(k, v);
      box.querySelector("span").textContent = label;
      return box;
    }));
    const list = (o) => Object.entries(o).map(([k, v]) => k + " " + v).join(", ") || "–";
    $("#recovery-detail").textContent = "Why: " + list(r.recovery_triggers) +
      ". How they ended: " + list(r.recovery_outcomes) + ".";
  }

  function llm(u) {
    const cost = (v) => (v === null ? "–" : v.toFixed(2) + " " + u.currency);
    const figures = [["Calls", u.calls], ["Failed", u.failed], ["Prompt tokens", u.prompt_tokens],
      ["Completion tokens", u.completion_tokens], ["Cost", cost(u.cost)]];
    $("#llm").replaceChildren(...figures.map(([label, v]) => {
      const box = document.createElement("div");
      box.className = "kpi";
      box.dataset.key = "llm_" + label.toLowerCase().replace(" ", "_");
      box.innerHTML = "<b></b><span></span>";
      box.querySelector("b").textContent = String(v);
      box.querySelector("span").textContent = label;
      return box;
    }));
    $("#llm-rows tbody").replaceChildren(...u.rows.map((r) => {
      const tr = document.createElement("tr");
      for (const v of [r.model, r.purpose, r.calls, r.failed, r.prompt_tokens, r.completion_tokens,
        r.avg_ms ?? "–", cost(r.cost)]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }
      return tr;
    }));
  }

  async function load() {
    const q = query();
    $("#reports").setAttribute("aria-busy", "true");
    try {
      const me = await (await get("/v1/users/me")).json();
      $("#whoami").textContent = me.name + " (" + me.role + ")";
      $("#reports").hidden = false;
      $("#drill").hidden = true;
      kpis(await (await get("/v1/reports/summary?" + q)).json());
      charts(await (await get("/v1/reports/series?" + q)).json());
      reasons(await (await get("/v1/reports/reasons?" + q)).json());
      recovery(await (await get("/v1/reports/recovery?" + q)).json());
      llm(await (await get("/v1/reports/llm?" + q)).json());
      await window.cxcRetention.load();
      $("#status").textContent = "";
    } catch (err) { $("#status").textContent = err.message; }
    finally { $("#reports").setAttribute("aria-busy", "false"); }
  }

  function failed(err) { $("#status").textContent = err.message; }

  window.cxcReports = { get, send, query, fmt, row, failed };
  $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("#csv").addEventListener("click", () => download("/v1/reports/resolutions.csv?" + query(), "resolutions.csv").catch(failed));
  for (const b of document.querySelectorAll("button.csv")) {
    b.addEventListener("click", () => download("/v1/reports/" + b.dataset.path + ".csv?" + query(), b.dataset.path + ".csv").catch(failed));
  }
  $("#drill-csv").addEventListener("click", () => download("/v1/reports/cases.csv?" + query(drilled), "cases-" + drilled.figure + ".csv").catch(failed));
  $("#drill-close").addEventListener("click", () => { $("#drill").hidden = true; });
  // after every script of the page has run (retention.js registers itself)
  window.addEventListener("load", () => { if (localStorage.getItem(KEY)) load(); else showLogin(); });
})();
