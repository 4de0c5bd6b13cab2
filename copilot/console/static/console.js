// CX Copilot operator console: fetches server-rendered fragments (in the page's language) and
// calls the JSON API with the bearer token kept in localStorage. No framework, no build step.
// The queue and the alerts refresh themselves every data-refresh-s seconds.
"use strict";
(function () {
  const KEY = "cxc_token";
  const $ = (sel) => document.querySelector(sel);
  const TEXTS = JSON.parse($("#console-texts").textContent);
  const REFRESH_S = Number(document.body.dataset.refreshS) || 10;
  let current = null;
  let timer = null;

  // A message of the page's catalogue, its {fields} filled in.
  function tr(key, values) {
    return (TEXTS[key] || key).replace(/\{(\w+)\}/g, (_, k) => (values && k in values ? values[k] : ""));
  }

  function token() { return localStorage.getItem(KEY); }

  async function call(method, url, body) {
    const opts = { method, headers: { Authorization: "Bearer " + token() } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(url, opts);
    if (res.status === 401) { logout(); throw new Error("401"); }
    if (!res.ok) {
      let detail = res.statusText;
      try { detail = JSON.stringify((await res.json()).detail); } catch (e) { /* not JSON */ }
      throw new Error(res.status + ": " + detail);
    }
    return res;
  }

  function say(text, isError) {
    const el = $("#status");
    el.textContent = text;
    el.className = isError ? "error" : "";
  }

  async function fragment(target, url) {
    const res = await call("GET", url);
    $(target).innerHTML = await res.text();
  }

  // The operator used a suggestion: counted in the reports' suggestion acceptance rate.
  async function accepted(kind, ref) {
    await call("POST", "/v1/cases/" + current + "/suggestions/accept", { kind, ref });
  }

  async function loadQueue() { await fragment("#queue", "/console/fragments/queue"); }
  async function loadAlerts() { await fragment("#alerts", "/console/fragments/alerts"); }
  async function loadLive() { await Promise.all([loadQueue(), loadAlerts()]); }

  const KEPT = ["#reply-text", "#resolution", "#note-text", "#promise-text", "#interaction-text"];

  // Re-opening the case on screen (after taking it, an offer, a hand-back) keeps what the
  // operator typed; a new case, or the same one after its reply was sent, starts empty.
  async function openCase(id, fresh, withSuggestions) {
    const same = String(id) === String(current) && !fresh;
    const typed = same ? KEPT.map((s) => $(s) && $(s).value) : [];
    const wasOpen = same && $("#more-actions") && $("#more-actions").open;
    current = id;
    await fragment("#case", "/console/fragments/cases/" + id);
    KEPT.forEach((s, i) => { if (typed[i] && $(s)) $(s).value = typed[i]; });
    if (wasOpen && $("#more-actions")) $("#more-actions").open = true;
    if (!same || withSuggestions) {
      $("#suggestions").innerHTML = "<p class='muted'>" + tr("Loading suggestions…") + "</p>";
      await fragment("#suggestions", "/console/fragments/cases/" + id + "/suggestions");
    }
  }

  // After an action on the open case: the case view, the queue and the alerts again.
  async function after(message) {
    say(message);
    await openCase(current);
    await loadLive();
  }

  async function login(value) {
    localStorage.setItem(KEY, value);
    try {
      const me = await (await call("GET", "/v1/users/me")).json();
      $("#whoami").textContent = me.name + " (" + me.role + ")";
      $("#login").hidden = true;
      $("#app").hidden = false;
      $("#logout").hidden = false;
      await loadLive();
      timer = setInterval(() => {  // not while the tab is in the background
        if (!document.hidden) loadLive().catch((err) => say(err.message, true));
      }, REFRESH_S * 1000);
    } catch (err) {
      localStorage.removeItem(KEY);
      $("#login-error").textContent = tr("Login failed: {error}", { error: err.message });
    }
  }

  function logout() {
    localStorage.removeItem(KEY);
    if (timer) { clearInterval(timer); timer = null; }
    current = null;
    ["#alerts", "#queue", "#case", "#suggestions"].forEach((s) => { $(s).innerHTML = ""; });
    $("#app").hidden = true;
    $("#login").hidden = false;
    $("#logout").hidden = true;
    $("#whoami").textContent = "";
  }

  async function offer(issueType, amount, fromSuggestion) {
    const body = { case_id: Number(current), issue_type: issueType };
    if (amount) body.affected_amount = Number(amount);
    const comp = await (await call("POST", "/v1/compensations", body)).json();
    if (fromSuggestion) await accepted("compensation", String(comp.id));
    say(tr("Compensation #{id}: {status}", comp));
    await openCase(current, false, true);  // the suggestions then name the offer made
    await loadLive();
  }

  async function decide(el, verb, body) {
    const res = await call("POST", "/v1/compensations/" + el.dataset.compId + "/" + verb, body);
    const comp = await res.json();
    say(tr("Compensation #{id}: {status}", comp));
    if (current) await openCase(current);
    await loadLive();
  }

  const actions = {
    "refresh-queue": () => loadLive(),
    "open-case": (el) => openCase(el.dataset.caseId),
    "logout": () => logout(),
    "use-draft": async () => {
      $("#reply-text").value = $("#draft-text").textContent;
      say(tr("Draft copied"));
      await accepted("draft");
    },
    "take": async () => {
      await call("POST", "/v1/cases/" + current + "/assign");
      await after("");
    },
    "offer": (el) => offer(el.dataset.issue, null, true),
    "approve": (el) => decide(el, "approve"),
    "reject": (el) => decide(el, "reject", { note: window.prompt(tr("Reason for rejecting (optional)")) || "" }),
    "issue": (el) => decide(el, "issue"),
    "promise-kept": async (el) => {
      await call("POST", "/v1/promises/" + el.dataset.promiseId + "/kept");
      await after(tr("Promise closed"));
    },
    "promise-broken": async (el) => {
      await call("POST", "/v1/promises/" + el.dataset.promiseId + "/broken");
      await after(tr("Promise closed"));
    },
    "resend": async (el) => {
      await call("POST", "/v1/deliveries/" + el.dataset.deliveryId + "/resend");
      say(tr("Delivery queued again"));
      await loadAlerts();
    },
    "handback": async () => {
      await call("POST", "/v1/cases/" + current + "/handback");
      await after(tr("Handed back to the bot"));
    },
  };

  // A call or an e-mail on the open case: the customer is named by the identities the case
  // view knows; a new phone or e-mail the operator typed joins them.
  function interaction() {
    const channel = $("#interaction-channel").value;
    const identity = {};
    document.querySelectorAll("[data-identity]").forEach((el) => { identity[el.dataset.identity] = el.value; });
    const typed = $("#interaction-contact").value.trim();
    if (typed) identity[channel === "phone" ? "phone" : "email"] = typed;
    return {
      channel,
      direction: $("#interaction-direction").value,
      identity,
      text: $("#interaction-text").value,
      occurred_at: new Date().toISOString(),
      case_id: Number(current),
    };
  }

  const forms = {
    "login-form": () => login($("#token").value.trim()),
    "reply-form": async () => {
      await call("POST", "/v1/cases/" + current + "/messages", { text: $("#reply-text").value });
      say(tr("Reply sent"));
      await openCase(current, true);
      await loadLive();
    },
    "note-form": async () => {
      await call("POST", "/v1/cases/" + current + "/notes", { text: $("#note-text").value });
      $("#note-text").value = "";
      await after(tr("Note added"));
    },
    "interaction-form": async () => {
      await call("POST", "/v1/interactions", interaction());
      $("#interaction-text").value = "";
      await after(tr("Interaction recorded"));
    },
    "promise-form": async () => {
      const due = new Date($("#promise-due").value).toISOString();
      await call("POST", "/v1/cases/" + current + "/promises", { text: $("#promise-text").value, due_at: due });
      $("#promise-text").value = "";
      await after(tr("Promise recorded"));
    },
    "offer-form": () => offer($("#offer-issue").value, $("#offer-amount").value, false),
    "resolve-form": async () => {
      await call("POST", "/v1/cases/" + current + "/resolve", {
        resolution: $("#resolution").value,
        resolution_code: $("#resolution-code").value,
        contact_reason: ($("#contact-reason") && $("#contact-reason").value) || null,
      });
      await after(tr("Case resolved"));
    },
  };

  document.addEventListener("click", async (ev) => {
    const el = ev.target.closest("[data-action]");
    if (!el || !actions[el.dataset.action]) return;
    ev.preventDefault();
    try { await actions[el.dataset.action](el); } catch (err) { say(err.message, true); }
  });

  document.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const handler = forms[ev.target.id];
    if (!handler) return;
    try { await handler(); } catch (err) { say(err.message, true); }
  });

  if (token()) { login(token()); }
})();
