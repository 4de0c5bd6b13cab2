// The web chat page's script (copilot/console/templates/chat.html), kept in a file so the
// page's content security policy allows only the server's own scripts.
(function () {
  "use strict";
  var BASE = "/chat/";
  var log = document.getElementById("log");
  var cursor = Number(localStorage.getItem("cxc-chat-cursor") || 0);
  var lang = (navigator.language || "en").slice(0, 2);

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
    if (!res.ok) { throw new Error((await res.json()).detail || res.statusText); }
    return res.json();
  }

  function answer(reply) {
    if (reply.text) { show(reply.text, "them", reply.choices, reply.message_id); }
  }

  async function pick(messageId, index, question) {
    show(question, "me");
    answer(await call("POST", "pick", { message_id: messageId, index: index }));
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
    show(text, "me");
    try { answer(await call("POST", "messages", { text: text, language: lang })); }
    catch (e) { show(e.message, "them"); }
  });

  poll();
  setInterval(poll, 3000);
})();
