// Live updates on an issue page: who else is viewing, who is typing, and a notice when someone
// else changes the issue (with a reload link, so nobody edits a stale copy by accident).
// A single-use ticket authenticates the WebSocket; on a dropped connection it resumes from the
// last event id it saw, so nothing is missed.
(function () {
  "use strict";
  const bar = document.getElementById("live-bar");
  if (!bar || !("WebSocket" in window)) return;
  const issueId = bar.dataset.issueId, me = Number(bar.dataset.userId), csrf = bar.dataset.csrf;
  const viewersEl = bar.querySelector(".live-viewers"), typingEl = bar.querySelector(".live-typing");
  const changedEl = bar.querySelector(".live-changed");
  let lastEventId = null, retry = 1000, typingTimer = null, lastTypingSent = 0, socket = null;
  const names = new Map();  // user id -> display name, learnt from presence and typing messages

  function text(node, value) { node.textContent = value; node.hidden = !value; }

  async function connect() {
    let ticket;
    try {
      const response = await fetch("/v2/live/tickets", {method: "POST", credentials: "same-origin",
                                                         headers: {"X-CSRF-Token": csrf}});
      if (!response.ok) return;  // signed out or not allowed: no live updates, the page still works
      ticket = (await response.json()).ticket;
    } catch (error) { return schedule(); }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const resume = lastEventId !== null ? "&last_event_id=" + encodeURIComponent(lastEventId) : "";
    socket = new WebSocket(`${scheme}//${location.host}/v2/issues/${issueId}/live?ticket=${ticket}${resume}`);
    socket.onmessage = (event) => handle(JSON.parse(event.data));
    socket.onopen = () => { retry = 1000; bar.classList.add("connected"); };
    socket.onclose = (event) => {
      bar.classList.remove("connected");
      if (event.code < 4400 || event.code >= 4500) schedule();  // 44xx: refused, do not insist
    };
  }

  function schedule() { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); }

  function handle(message) {
    if (message.type === "subscribed" && lastEventId === null) lastEventId = message.last_event_id ?? null;
    if (message.id !== undefined) lastEventId = message.id;
    const data = message.data || {};
    if (message.type === "presence") {
      (data.viewers || []).forEach((v) => names.set(v.user_id, v.display_name));
      const others = (data.viewers || []).filter((v) => v.user_id !== me).map((v) => v.display_name);
      text(viewersEl, others.length ? "Also viewing: " + [...new Set(others)].join(", ") : "");
    } else if (message.type === "user_typing" && data.user_id !== me) {
      names.set(data.user_id, data.display_name);
      text(typingEl, (data.display_name || "Someone") + " is typing…");
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => text(typingEl, ""), 4000);
    } else if (["issue_updated", "status_changed", "comment_added"].includes(message.type) && data.user_id !== me) {
      const fields = Object.keys(data.field_changes || {});
      const what = message.type === "comment_added" ? "added a comment"
        : "changed " + (fields.length ? fields.join(", ") : "this issue");
      changedEl.querySelector(".live-what").textContent = (names.get(data.user_id) || "Someone") + " " + what + ".";
      changedEl.hidden = false;
    }
  }

  document.addEventListener("input", (event) => {
    if (!socket || socket.readyState !== WebSocket.OPEN || event.target.tagName !== "TEXTAREA") return;
    const now = Date.now();
    if (now - lastTypingSent > 2000) { lastTypingSent = now; socket.send(JSON.stringify({type: "user_typing"})); }
  });
  connect();
})();
