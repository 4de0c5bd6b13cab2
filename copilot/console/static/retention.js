// CX Copilot dashboard, churn risk: the at-risk customers with their retention actions (start a
// call task, an offer within the compensation policy or an early check-in; record the outcome)
// and the outcomes by churn-risk band. Uses the helpers reports.js exposes as cxcReports.
"use strict";
(function () {
  const R = window.cxcReports;
  const $ = (sel) => document.querySelector(sel);
  const KINDS = { call: "Call task", offer: "Offer", check_in: "Early check-in" };
  const NEXT = { pending: ["contacted", "accepted", "churned"], contacted: ["accepted", "churned"] };

  async function load() {
    const [rows, open, bands] = await Promise.all([
      R.get("/v1/reports/churn-risk?limit=20").then((r) => r.json()),
      R.get("/v1/retention/actions?open=true&limit=1000").then((r) => r.json()),
      R.get("/v1/reports/retention?" + R.query()).then((r) => r.json()),
    ]);
    $("#churn tbody").replaceChildren(...rows.map((r) => R.row([r.name || "#" + r.customer_id, r.score,
      r.band, r.reasons.join("; "), actions(r.customer_id, open.filter((a) => a.customer_id === r.customer_id))])));
    $("#retention tbody").replaceChildren(...bands.map((b) => R.row([b.band, b.actions, b.pending,
      b.contacted, b.accepted, b.churned, R.fmt("churn_rate", b.churn_rate)])));
  }

  function button(text, onclick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", () => onclick().then(load).catch(R.failed));
    return b;
  }

  // The customer's open actions with their outcome buttons, and a form to start another.
  function actions(customerId, open) {
    const box = document.createElement("div");
    for (const a of open) {
      const line = document.createElement("div");
      line.className = "action";
      const offer = a.offer ? " " + a.offer : "";
      const due = a.due_at ? ", due " + a.due_at.slice(0, 10) : "";
      line.textContent = KINDS[a.kind] + offer + ": " + a.outcome + due + " ";
      for (const outcome of NEXT[a.outcome] || []) {
        line.appendChild(button(outcome, () => R.send("/v1/retention/actions/" + a.id + "/outcome", { outcome })));
      }
      box.appendChild(line);
    }
    const kind = document.createElement("select");
    kind.setAttribute("aria-label", "Action");
    for (const k in KINDS) kind.appendChild(new Option(KINDS[k], k));
    const amount = document.createElement("input");
    Object.assign(amount, { type: "number", min: "1", size: 6, placeholder: "amount", hidden: true });
    amount.setAttribute("aria-label", "Offer amount");
    amount.title = "Within the compensation policy: your approval limit covers this offer and what the customer got in the policy window";
    kind.addEventListener("change", () => { amount.hidden = kind.value !== "offer"; });
    const start = button("Start", () => R.send("/v1/retention/actions", {
      customer_id: customerId, kind: kind.value,
      ...(kind.value === "offer" ? { offer_value: Number(amount.value) } : {}),
    }).then(() => { $("#status").textContent = KINDS[kind.value] + " started"; }));
    start.className = "start";
    const form = document.createElement("div");
    form.append(kind, amount, start);
    box.appendChild(form);
    return box;
  }

  window.cxcRetention = { load };
})();
