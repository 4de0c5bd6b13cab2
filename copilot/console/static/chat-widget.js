// CX Copilot web chat widget: add
//   <script src="https://YOUR_HOST/console/static/chat-widget.js" defer></script>
// to a page; it shows a chat button that opens the chat (/chat on the same host as this script)
// in a frame. Nothing else is loaded and nothing is sent until the visitor opens it.
(function () {
  "use strict";
  var me = document.currentScript;
  var origin = me ? new URL(me.src).origin : window.location.origin;
  var open = false;
  var frame = null;
  var button = document.createElement("button");
  button.type = "button";
  button.id = "cxc-chat-button";
  button.textContent = "Chat";
  button.setAttribute("aria-label", "Support chat");
  button.style.cssText = "position:fixed;right:20px;bottom:20px;width:56px;height:56px;" +
    "border-radius:50%;border:0;background:#1f6feb;color:#fff;font:600 14px sans-serif;cursor:pointer;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.3);z-index:2147483647";
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "cxc-chat-frame";
      frame.src = origin + "/chat";
      frame.title = "Support chat";
      frame.style.cssText = "position:fixed;right:20px;bottom:88px;width:360px;height:520px;" +
        "max-width:calc(100vw - 40px);max-height:calc(100vh - 120px);border:1px solid #ddd;" +
        "border-radius:10px;background:#fff;z-index:2147483647";
      document.body.appendChild(frame);
    }
    open = !open;
    frame.style.display = open ? "block" : "none";
  });
  document.body.appendChild(button);
})();
