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

  function showLogin() { $("#login").hidden = false; $("#reports").hidden = true; }

  function query() {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData($("#filters"))) { if (v) p.set(k, v); }
    return p.toString();
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
    if (v === null || v === undefined) return "–";
    if (name.endsWith("_rate") || name === "csat_pct_satisfied") return (100 * v).toFixed(1) + "%";
    if (name.endsWith("_s")) return v < 3600 ? (v / 60).toFixed(1) + " min" : (v / 3600).toFixed(1) + " h";
    return Number.isInteger(v) ? String(v) : v.toFixed(2);
  }

  // What each figure is called on the dashboard and what it means (docs/metrics.md, "Summary").
  const LABELS = {
    cases_opened: ["Cases opened", "Cases opened in the period"],
    escalations: ["Escalations", "Opened cases the bot handed to a person"],
    escalation_rate: ["Escalation rate", "Escalations / cases opened"],
    frt_p50_s: ["First response, median", "Time from a case's first message to the first answer, clarification or operator reply"],
    cases_resolved: ["Cases resolved", "Cases resolved in the period (a reopened case counts when resolved again)"],
    bot_contained: ["Resolved by the bot", "Resolved cases in which no person was involved"],
    bot_containment_rate: ["Bot containment", "Resolved by the bot / cases resolved"],
    ttr_p50_s: ["Time to resolution, median", "Time from opening to resolution, 50th percentile"],
    ttr_p90_s: ["Time to resolution, 90th pct.", "Time from opening to resolution, 90th percentile"],
    aht_p50_s: ["Handle time, median", "Time from a person taking the case to its resolution"],
    reopen_rate: ["Reopen rate", "Resolved cases that were reopened / cases resolved"],
    durable_resolution_rate: ["Durable resolutions", "Resolutions at least 7 days old that were never reopened"],
    pulses_sent: ["Pulses sent", "CSAT/CES surveys sent after resolutions in the period"],
    pulses_answered: ["Pulses answered", "Surveys with a CSAT or CES answer"],
    pulse_response_rate: ["Pulse response rate", "Pulses answered / pulses sent"],
    csat_avg: ["CSAT, average (1-5)", "Mean satisfaction score"],
    csat_pct_satisfied: ["CSAT satisfied", "Share of CSAT answers that are 4 or 5"],
    ces_avg: ["CES, average (1-7)", "Mean customer effort score; 7 = very easy"],
    recovery_cases: ["Recovery cases", "Low scores that opened a recovery case"],
    nps_responses: ["NPS answers", "NPS surveys answered in the period"],
    nps: ["NPS", "Promoters (9-10) minus detractors (0-6), in points"],
    compensation_total: ["Compensation given", "Approved and issued compensation, in the policy currency"],
    suggestions_shown: ["Suggestions shown", "Cases whose suggestions an operator saw"],
    suggestion_acceptance_rate: ["Suggestions used", "Of those, the share where a suggestion was used"],
    promises_overdue: ["Promises overdue", "Open promises past their due time"],
  };

  function kpis(summary) {
    $("#kpis").replaceChildren(...Object.entries(summary).map(([k, v]) => {
      const box = document.createElement("div");
      const [label, meaning] = LABELS[k] || [k, k];
      box.className = "kpi";
      box.title = meaning;
      box.dataset.key = k;
      box.innerHTML = "<b></b><span></span>";
      box.querySelector("b").textContent = fmt(k, v);
      box.querySelector("span").textContent = label;
      return box;
    }));
  }

  function charts(s) {
    bars("#chart-ttr", s.ttr_histogram.map((b) => b.bucket),
      [{ name: "cases", values: s.ttr_histogram.map((b) => b.cases) }]);
    const days = [...new Set(s.satisfaction.map((r) => r.day))];
    const channels = [...new Set(s.satisfaction.map((r) => r.channel))];
    const series = [];
    for (const ch of channels) {
      for (const m of ["csat_avg", "ces_avg"]) {
        series.push({ name: ch + " " + m.replace("_avg", "").toUpperCase(), values: days.map((d) => {
          const row = s.satisfaction.find((r) => r.day === d && r.channel === ch);
          return row ? row[m] : null;
        }) });
      }
    }
    lines("#chart-sat", days, series, 7);
    bars("#chart-daily", s.daily.map((d) => d.day.slice(5)), [
      { name: "contained", values: s.daily.map((d) => d.contained) },
      { name: "escalated", values: s.daily.map((d) => d.escalated) },
    ]);
    scatter("#chart-comp", s.compensation_vs_csat);
  }

  function churn(rows) {
    $("#churn tbody").replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      for (const v of [(r.name || "#" + r.customer_id), r.score, r.reasons.join("; ")]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }
      return tr;
    }));
  }

  function reasons(rows) {
    $("#reasons tbody").replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      const cells = [r.label, r.cases, fmt("share_rate", r.share), fmt("x_rate", r.escalation_rate),
        fmt("x_rate", r.low_csat_rate) + " of " + r.csat_answers, fmt("x_rate", r.repeat_rate)];
      for (const v of cells) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }
      return tr;
    }));
  }

  function recovery(r) {
    const flat = Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== "object" || v === null));
    $("#recovery").replaceChildren(...Object.entries(flat).map(([k, v]) => {
      const box = document.createElement("div");
      box.className = "kpi";
      box.innerHTML = "<b></b><span></span>";
      box.querySelector("b").textContent = fmt(k, v);
      box.querySelector("span").textContent = k.replace("recovery_", "");
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
    try {
      const me = await (await get("/v1/users/me")).json();
      $("#whoami").textContent = me.name + " (" + me.role + ")";
      $("#reports").hidden = false;
      kpis(await (await get("/v1/reports/summary?" + q)).json());
      charts(await (await get("/v1/reports/series?" + q)).json());
      reasons(await (await get("/v1/reports/reasons?" + q)).json());
      recovery(await (await get("/v1/reports/recovery?" + q)).json());
      llm(await (await get("/v1/reports/llm?" + q)).json());
      churn(await (await get("/v1/reports/churn-risk?limit=20")).json());
      $("#status").textContent = "";
    } catch (err) { $("#status").textContent = err.message; }
  }

  async function downloadCsv() {
    const blob = await (await get("/v1/reports/resolutions.csv?" + query())).blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "resolutions.csv";
    a.click();
    URL.revokeObjectURL(a.href);
  }

  $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  $("#csv").addEventListener("click", () => downloadCsv().catch((e) => { $("#status").textContent = e.message; }));
  if (localStorage.getItem(KEY)) { load(); } else { showLogin(); }
})();
