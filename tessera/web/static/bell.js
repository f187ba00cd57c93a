// The notification bell in the top bar, and the /notifications page: the unread count, the
// latest entries (issue key and summary, what changed, when; a click opens the issue and marks
// the entry read), "mark all read", and the opt-in to browser (Web Push) notifications.
//
// The count is kept live by the user's own stream (/v2/notifications/live, authenticated with a
// single-use ticket like the issue page's stream): each entry added to the inbox arrives as
// {"type": "notification_added", "unread": N}. While the socket is down the inbox is polled
// instead, so the count is never stale for long; a reconnect resumes from the last event id.
(function () {
  "use strict";
  const bell = document.getElementById("bell");
  if (!bell) return;
  const csrf = bell.dataset.csrf;
  const button = bell.querySelector(".bell-button"), countEl = bell.querySelector(".bell-count");
  const panel = bell.querySelector(".bell-panel");
  const lists = [...document.querySelectorAll(".notification-list")];
  const POLL_MS = 30000;
  let unread = null, lastEventId = null, retry = 1000, socket = null, pollTimer = null, inboxMissing = false;

  const EVENTS = {
    issue_created: "created the issue", issue_updated: "updated the issue", status_changed: "changed the status",
    comment_added: "commented", comment_updated: "edited a comment", comment_deleted: "deleted a comment",
    user_mentioned: "mentioned you", issue_assigned: "assigned the issue", assigned: "assigned the issue",
    attachment_added: "added an attachment", worklog_added: "logged work", issue_deleted: "deleted the issue",
  };

  function api(path, options) {
    const headers = Object.assign({"X-CSRF-Token": csrf}, (options && options.headers) || {});
    return fetch(path, Object.assign({credentials: "same-origin"}, options || {}, {headers}));
  }

  function setCount(value, bump) {
    if (typeof value !== "number" || value < 0) return;
    unread = value;
    countEl.textContent = value > 99 ? "99+" : String(value);
    countEl.hidden = value === 0;
    bell.dataset.unread = String(value);
    button.title = value ? `Notifications (${value} unread)` : "Notifications";
    if (bump && value) { countEl.classList.remove("bump"); void countEl.offsetWidth; countEl.classList.add("bump"); }
  }

  function ago(text) {
    const then = Date.parse(text);
    if (Number.isNaN(then)) return "";
    const seconds = Math.max(0, (Date.now() - then) / 1000);
    if (seconds < 60) return "just now";
    const [value, unit] = seconds < 3600 ? [seconds / 60, "minute"] : seconds < 86400 ? [seconds / 3600, "hour"]
      : [seconds / 86400, "day"];
    const n = Math.floor(value);
    return `${n} ${unit}${n === 1 ? "" : "s"} ago`;
  }

  function describe(entry) {
    const text = entry.text || entry.message || entry.title;
    if (text) return text;
    const actor = entry.actor && (entry.actor.display_name || entry.actor.name || entry.actor.displayName);
    const what = EVENTS[entry.event] || String(entry.event || "updated").replace(/_/g, " ");
    return actor ? `${actor} ${what}` : what.charAt(0).toUpperCase() + what.slice(1);
  }

  function item(entry) {
    const li = document.createElement("li");
    li.className = "notification" + (entry.read ? "" : " unread");
    li.dataset.id = entry.id;
    const link = document.createElement("a");
    const issue = entry.issue || {};
    link.href = issue.key ? `/browse/${encodeURIComponent(issue.key)}` : "/notifications";
    const head = document.createElement("div");
    const key = document.createElement("span");
    key.className = "issue-key";
    key.textContent = issue.key || "";
    const summary = document.createElement("span");
    summary.className = "summary";
    summary.textContent = issue.summary ? " " + issue.summary : "";
    head.append(key, summary);
    const what = document.createElement("div");
    what.className = "what";
    what.textContent = describe(entry);
    const when = document.createElement("div");
    when.className = "when";
    when.textContent = ago(entry.created);
    when.title = entry.created || "";
    link.append(head, what, when);
    link.addEventListener("click", () => {
      if (!entry.read) api(`/v2/notifications/${encodeURIComponent(entry.id)}/read`, {method: "POST", keepalive: true});
    });
    li.append(link);
    return li;
  }

  function render(entries) {
    lists.forEach((list) => {
      const limit = Number(list.dataset.limit || 10);
      list.replaceChildren();
      if (!entries) {
        list.innerHTML = '<li class="empty">Notifications are not available yet.</li>';
      } else if (!entries.length) {
        list.innerHTML = '<li class="empty">You are all caught up.</li>';
      } else {
        entries.slice(0, limit).forEach((entry) => list.append(item(entry)));
      }
    });
  }

  async function refresh() {
    if (inboxMissing) return;
    const limit = Math.max(...lists.map((list) => Number(list.dataset.limit || 10)), 10);
    try {
      const response = await api(`/v2/notifications?max_results=${limit}`);
      if (response.status === 404) { inboxMissing = true; render(null); return; }
      if (!response.ok) return;
      const inbox = await response.json();
      setCount(inbox.unread, false);
      render(inbox.notifications || []);
    } catch (error) { /* offline: the next poll or message tries again */ }
  }

  function startPolling() { if (!pollTimer) pollTimer = setInterval(refresh, POLL_MS); }
  function stopPolling() { clearInterval(pollTimer); pollTimer = null; }

  async function connect() {
    if (!("WebSocket" in window)) return startPolling();
    let ticket;
    try {
      const response = await api("/v2/live/tickets", {method: "POST"});
      if (!response.ok) return startPolling();
      ticket = (await response.json()).ticket;
    } catch (error) { startPolling(); return schedule(); }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const resume = lastEventId !== null ? "&last_event_id=" + encodeURIComponent(lastEventId) : "";
    socket = new WebSocket(`${scheme}//${location.host}/v2/notifications/live?ticket=${ticket}${resume}`);
    socket.onopen = () => { retry = 1000; };
    socket.onmessage = (event) => handle(JSON.parse(event.data));
    socket.onclose = (event) => {
      bell.classList.remove("connected");
      startPolling();
      if (event.code < 4400 || event.code >= 4500) schedule();  // 44xx: refused; polling carries on
    };
  }

  function schedule() { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); }

  function handle(message) {
    if (message.type === "subscribed") {  // from here on nothing is missed: polling can stop
      if (lastEventId === null) lastEventId = message.data.last_event_id ?? null;
      stopPolling();
      bell.classList.add("connected");
    }
    if (message.id !== undefined) lastEventId = message.id;
    if (message.type === "resync_required") refresh();
    if (message.type !== "notification_added") return;
    setCount(message.unread, true);
    document.dispatchEvent(new CustomEvent("tessera:notification"));  // the inbox page reloads its list
    if (!panel.hidden || document.getElementById("notification-page")) refresh();
    else if (!inboxMissing) refreshSoon();
  }

  let refreshTimer = null;
  function refreshSoon() {  // a burst of entries costs one request
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 500);
  }

  function toggle(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) refresh();
  }

  button.addEventListener("click", (event) => { event.stopPropagation(); toggle(panel.hidden); });
  document.addEventListener("click", (event) => { if (!panel.hidden && !bell.contains(event.target)) toggle(false); });
  document.addEventListener("keyup", (event) => { if (event.key === "Escape" && !panel.hidden) toggle(false); });
  document.querySelectorAll(".read-all").forEach((control) => control.addEventListener("click", async () => {
    try {
      const response = await api("/v2/notifications/read-all", {method: "POST"});
      if (response.ok) { setCount(0, false); refresh(); }
    } catch (error) { /* try again later */ }
  }));

  // Web Push: offered where the browser supports it and the server has VAPID keys.
  const pushControls = [...document.querySelectorAll(".push-toggle")];

  async function pushState() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return null;
    const response = await api("/v2/push/vapid-public-key");
    if (!response.ok) return null;
    const key = (await response.json()).public_key;
    const registration = await navigator.serviceWorker.register("/sw.js", {scope: "/"});
    const subscription = await registration.pushManager.getSubscription();
    return {key, registration, subscription};
  }

  function keyBytes(text) {
    const base64 = (text + "=".repeat((4 - text.length % 4) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }

  function showPush(state) {
    pushControls.forEach((control) => {
      control.hidden = !state || Notification.permission === "denied";
      control.textContent = state && state.subscription ? "Turn off browser notifications"
        : "Enable browser notifications";
    });
  }

  async function togglePush() {
    const state = await pushState();
    if (!state) return;
    if (state.subscription) {
      const endpoint = state.subscription.endpoint;
      await state.subscription.unsubscribe();
      await api(`/v2/push/subscriptions?endpoint=${encodeURIComponent(endpoint)}`, {method: "DELETE"});
      state.subscription = null;
    } else {
      if (await Notification.requestPermission() !== "granted") return showPush(state);
      const subscription = await state.registration.pushManager.subscribe(
        {userVisibleOnly: true, applicationServerKey: keyBytes(state.key)});
      const response = await api("/v2/push/subscriptions", {method: "POST", headers: {"Content-Type": "application/json"},
                                                            body: JSON.stringify(subscription.toJSON())});
      if (!response.ok) await subscription.unsubscribe();
      state.subscription = response.ok ? subscription : null;
    }
    showPush(state);
  }

  // The service worker renews a subscription by itself (sw.js) and needs this session's token to
  // tell the server; it keeps the latest a page sent.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.getRegistration("/").then((registration) => {
      const worker = registration && (registration.active || registration.waiting || registration.installing);
      if (worker) worker.postMessage({type: "csrf", token: csrf});
    }).catch(() => {});
  }

  pushControls.forEach((control) => control.addEventListener("click", () => togglePush().catch(() => {})));
  pushState().then(showPush).catch(() => showPush(null));

  refresh();
  connect();
})();
