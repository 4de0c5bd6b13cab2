// The web chat page's script (copilot/console/templates/chat.html), kept in a file so the
// page's content security policy allows only the server's own scripts.
(function () {
  "use strict";
  var BASE = "/chat/";
  var log = document.getElementById("log");
  var cursor = Number(localStorage.getItem("cxc-chat-cursor") || 0);
  var lang = (navigator.language || "en").slice(0, 2);

  var toldUntil = 0;  // over the visitor's rate limit: the notice is shown once per wait

  function show(text, who, choices, messageId) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
    if (choices && choices.length) {
      var box = document.createElement("div");
      box.className = "choices";
      choices.forEach(function (q, i) {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = q;
        b.addEventListener("click", function () { pick(messageId, i, q); });
        box.appendChild(b);
      });
      div.appendChild(box);
    }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  async function token() {
    var t = localStorage.getItem("cxc-chat-token");
    if (t) { return t; }
    var res = await fetch(BASE + "session", { method: "POST" });
    t = (await res.json()).token;
    localStorage.setItem("cxc-chat-token", t);
    return t;
  }

  async function call(method, path, body) {
    var res = await fetch(BASE + path, {
      method: method,
      headers: { "content-type": "application/json", "X-Chat-Token": await token() },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) {
      var error = new Error((await res.json()).detail || res.statusText);
      error.retryAfter = res.status === 429 ? Number(res.headers.get("Retry-After") || 1) : 0;
      throw error;
    }
    return res.json();
  }

  // A message refused (over the limit, or any error) is marked not sent; over the limit the
  // visitor is told once how long to wait and the text goes back into the input to resend.
  function refused(bubble, e, text) {
    bubble.classList.add("not-sent");
    var input = document.getElementById("text");
    if (text && !input.value) { input.value = text; }
    if (!e.retryAfter) { show(e.message, "them"); return; }
    if (Date.now() < toldUntil) { return; }
    show(e.message, "them");
    toldUntil = Date.now() + e.retryAfter * 1000;
  }

  function answer(reply) {
    if (reply.text) { show(reply.text, "them", reply.choices, reply.message_id); }
  }

  async function pick(messageId, index, question) {
    var bubble = show(question, "me");
    var body = { message_id: messageId, index: index, language: lang };
    try { answer(await call("POST", "pick", body)); }
    catch (e) { refused(bubble, e, ""); }
  }

  async function poll() {
    try {
      var rows = await call("GET", "messages?after=" + cursor);
      rows.forEach(function (m) { show(m.text, "them"); cursor = m.id; });
      localStorage.setItem("cxc-chat-cursor", String(cursor));
    } catch (e) { /* the next poll tries again */ }
  }

  document.getElementById("chat-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var input = document.getElementById("text");
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    var bubble = show(text, "me");
    try { answer(await call("POST", "messages", { text: text, language: lang })); }
    catch (e) { refused(bubble, e, text); }
  });

  poll();
  setInterval(poll, 3000);
})();
