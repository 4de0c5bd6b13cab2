// CX Copilot operator console: fetches server-rendered fragments and calls the JSON API with
// the bearer token kept in localStorage. No framework, no build step.
"use strict";
(function () {
  const KEY = "cxc_token";
  const $ = (sel) => document.querySelector(sel);
  let current = null;

  function token() { return localStorage.getItem(KEY); }

  async function call(method, url, body) {
    const opts = { method, headers: { Authorization: "Bearer " + token() } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(url, opts);
    if (res.status === 401) { logout(); throw new Error("not logged in"); }
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

  // Re-opening the case on screen (after taking it, an offer, a hand-back) keeps what the
  // operator typed; a new case, or the same one after its reply was sent, starts empty.
  async function openCase(id, fresh) {
    const same = String(id) === String(current) && !fresh;
    const typed = same ? ["#reply-text", "#resolution"].map((s) => $(s) && $(s).value) : [];
    current = id;
    await fragment("#case", "/console/fragments/cases/" + id);
    ["#reply-text", "#resolution"].forEach((s, i) => { if (typed[i] && $(s)) $(s).value = typed[i]; });
    $("#suggestions").innerHTML = "<p class='muted'>Loading suggestions…</p>";
    await fragment("#suggestions", "/console/fragments/cases/" + id + "/suggestions");
  }

  async function login(value) {
    localStorage.setItem(KEY, value);
    try {
      const me = await (await call("GET", "/v1/users/me")).json();
      $("#whoami").textContent = me.name + " (" + me.role + ")";
      $("#login").hidden = true;
      $("#app").hidden = false;
      $("#logout").hidden = false;
      await loadQueue();
    } catch (err) {
      localStorage.removeItem(KEY);
      $("#login-error").textContent = "Login failed: " + err.message;
    }
  }

  function logout() {
    localStorage.removeItem(KEY);
    $("#app").hidden = true;
    $("#login").hidden = false;
    $("#logout").hidden = true;
    $("#whoami").textContent = "";
  }

  const actions = {
    "refresh-queue": () => loadQueue(),
    "open-case": (el) => openCase(el.dataset.caseId),
    "logout": () => logout(),
    "use-draft": async () => {
      $("#reply-text").value = $("#draft-text").textContent;
      say("Draft copied");
      await accepted("draft");
    },
    "take": async () => {
      await call("POST", "/v1/cases/" + current + "/assign");
      await openCase(current);
      await loadQueue();
    },
    "offer": async (el) => {
      const res = await call("POST", "/v1/compensations",
        { case_id: Number(current), issue_type: el.dataset.issue });
      const comp = await res.json();
      say("Compensation #" + comp.id + ": " + comp.status);
      await accepted("compensation", String(comp.id));
      await openCase(current);
    },
    "handback": async () => {
      await call("POST", "/v1/cases/" + current + "/handback");
      say("Handed back to the bot");
      await openCase(current);
      await loadQueue();
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
    const form = ev.target;
    try {
      if (form.id === "login-form") {
        await login($("#token").value.trim());
      } else if (form.id === "reply-form") {
        await call("POST", "/v1/cases/" + current + "/messages", { text: $("#reply-text").value });
        say("Reply sent");
        await openCase(current, true);
      } else if (form.id === "resolve-form") {
        await call("POST", "/v1/cases/" + current + "/resolve", {
          resolution: $("#resolution").value,
          resolution_code: $("#resolution-code").value,
          contact_reason: ($("#contact-reason") && $("#contact-reason").value) || null,
        });
        say("Case resolved");
        await openCase(current);
        await loadQueue();
      }
    } catch (err) { say(err.message, true); }
  });

  if (token()) { login(token()); }
})();
