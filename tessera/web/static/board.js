// The board: cards move between columns and up and down within one by drag and drop (SortableJS,
// vendored) or by keyboard (a focused card: arrows move the focus, Shift+arrows move the card),
// each move announced in an aria-live region. A move posts to the board's move endpoint; when
// the workflow transition has a screen the server answers with it as a dialog, posted again
// with the move. A refusal puts the card back where it was and shows the server's reason.
// The columns are refreshed from the server when anything changes in the project (the project's
// live stream), so others' moves and edits show without a reload.
(function () {
  "use strict";
  const root = document.getElementById("board-body");
  if (!root) return;
  const boardId = root.dataset.boardId, projectId = root.dataset.projectId, csrf = root.dataset.csrf;
  const announcer = document.getElementById("board-announce");
  const LIVE_TYPES = ["status_changed", "issue_updated", "issue_created", "issue_deleted", "issue_ranked"];
  let sortables = [], busy = 0, dragging = false, stale = false, refreshTimer = null, lastRefresh = 0;
  let moveCount = 0;  // moves begun here: a refresh fetched before one would show the board without it

  function announce(text) { announcer.textContent = text; }

  function flash(message) {
    const flashArea = document.getElementById("flash");
    const alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.textContent = message;
    flashArea.replaceChildren(alert);
  }

  function post(url, params) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: params,
                       headers: {"HX-Request": "true", "X-CSRF-Token": csrf}});
  }

  async function reason(response) {
    const text = await response.text();
    const alert = new DOMParser().parseFromString(text, "text/html").querySelector(".alert");
    return (alert ? alert.textContent : "").trim() || `The move failed (${response.status}).`;
  }

  const cardsOf = (cell) => [...cell.querySelectorAll(":scope > .board-card")];
  const cellsOf = (cell) => [...cell.parentElement.querySelectorAll(":scope > [data-column]")];
  const keyOf = (card) => card.dataset.key;

  function putBack(card, origin) {
    origin.parent.insertBefore(card, origin.next && origin.next.parentNode === origin.parent ? origin.next : null);
  }

  // The screen dialog: resolves with the move's response, or null when cancelled. Focus stays in
  // the modal dialog while it is open and returns to the card when it closes.
  function openScreen(card, html) {
    return new Promise((resolve) => {
      const host = document.getElementById("move-screen-host");
      host.innerHTML = html;  // rendered (and escaped) by the server
      const dialog = host.querySelector("dialog"), form = dialog.querySelector("form");
      let done = false;
      const finish = (value) => {
        if (done) return;
        done = true;
        if (dialog.open) dialog.close();
        host.replaceChildren();
        card.focus();
        resolve(value);
      };
      dialog.addEventListener("cancel", (event) => { event.preventDefault(); finish(null); });  // Esc
      dialog.querySelector("[data-close]").addEventListener("click", () => finish(null));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const response = await post(form.action, new URLSearchParams(new FormData(form)));
        if (response.status === 400) {  // a validator: say what is missing, let them fix it
          form.querySelector(".screen-error").textContent = await reason(response);
          return;
        }
        finish(response);
      });
      dialog.showModal();
      const first = form.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
  }

  async function commit(card, origin, {rank = true} = {}) {
    const cell = card.parentElement, key = keyOf(card), columnName = cell.dataset.columnName;
    const started = performance.now();
    const params = new URLSearchParams({column: cell.dataset.column});
    if (rank) {
      const cards = cardsOf(cell), at = cards.indexOf(card);
      if (cards[at + 1]) params.set("rank_before", keyOf(cards[at + 1]));
      else if (cards[at - 1]) params.set("rank_after", keyOf(cards[at - 1]));
    }
    busy += 1;
    moveCount += 1;
    card.classList.add("moving");
    card.setAttribute("aria-busy", "true");
    try {
      let response = await post(`/boards/${boardId}/cards/${encodeURIComponent(key)}/move`, params);
      if (response.headers.get("X-Tessera-Screen")) {
        response = await openScreen(card, await response.text());
        if (response === null) {
          putBack(card, origin);
          announce(`${key} not moved.`);
          return;
        }
      }
      if (response.headers.get("HX-Redirect")) { window.location.assign(response.headers.get("HX-Redirect")); return; }
      if (!response.ok) {
        const message = await reason(response);
        putBack(card, origin);
        flash(message);
        announce(`${key} not moved: ${message}`);
        return;
      }
      const moved = await response.json();
      card.dataset.status = moved.status.name;
      root.dataset.lastMoveMs = (performance.now() - started).toFixed(1);  // bench/board_moves.py reads these
      root.dataset.moves = String(Number(root.dataset.moves || 0) + 1);
      announce(`${key} moved to ${columnName}` + (rank ? `, position ${cardsOf(cell).indexOf(card) + 1}.` : "."));
    } catch (error) {
      putBack(card, origin);
      flash("The move did not reach the server; check the connection and try again.");
    } finally {
      busy -= 1;
      card.classList.remove("moving");
      card.removeAttribute("aria-busy");
      if (document.activeElement === document.body) card.focus();
      if (!busy && stale) schedule();
    }
  }

  function init() {
    sortables.forEach((sortable) => sortable.destroy());
    sortables = [];
    if (!window.Sortable) return;
    let origin = null;
    root.querySelectorAll("[data-column]").forEach((cell) => {
      sortables.push(window.Sortable.create(cell, {
        group: "lane:" + (cell.parentElement.dataset.lane || "all"),  // across columns, within a swimlane
        draggable: ".board-card", filter: "summary, select, button, input", preventOnFilter: false,
        forceFallback: true, fallbackTolerance: 3, animation: 120,
        onStart: (event) => { dragging = true; origin = {parent: event.from, next: event.item.nextSibling}; },
        onEnd: (event) => {
          dragging = false;
          if (event.from === event.to && event.oldIndex === event.newIndex) { if (stale) schedule(); return; }
          commit(event.item, origin);
        },
      }));
    });
  }

  root.addEventListener("keydown", (event) => {
    const card = event.target;
    if (!card.classList || !card.classList.contains("board-card")) return;
    if (event.key === "Enter") { window.location.assign(card.querySelector("a").href); return; }
    const step = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]}[event.key];
    if (!step) return;
    event.preventDefault();
    const cell = card.parentElement, cells = cellsOf(cell), cards = cardsOf(cell), at = cards.indexOf(card);
    const [dx, dy] = step;
    if (!event.shiftKey) {  // move the focus
      const target = dx ? cells[cells.indexOf(cell) + dx] : cell;
      if (!target) return;
      const there = cardsOf(target);
      const next = dx ? there[Math.min(at, there.length - 1)] : there[at + dy];
      if (next) next.focus();
      return;
    }
    if (busy) return;
    const origin = {parent: cell, next: card.nextSibling};
    if (dx) {  // to the next column: the card keeps its rank, the refresh puts it in its place
      const target = cells[cells.indexOf(cell) + dx];
      if (!target) return;
      target.appendChild(card);
      card.focus();
      commit(card, origin, {rank: false});
    } else {
      const neighbour = cards[at + dy];
      if (!neighbour) return;
      cell.insertBefore(card, dy < 0 ? neighbour : neighbour.nextSibling);
      card.focus();
      commit(card, origin);
    }
  });

  async function refresh() {
    if (busy || dragging || document.querySelector("#move-screen-host dialog")) { stale = true; return; }
    stale = false;
    lastRefresh = Date.now();
    const movesBefore = moveCount;
    const response = await fetch(window.location.href, {credentials: "same-origin", headers: {"HX-Request": "true"}});
    if (!response.ok) { stale = true; return; }
    const html = await response.text();
    if (busy || dragging || moveCount !== movesBefore) {  // outdated by a move meanwhile: fetch again
      stale = true;
      if (!busy) schedule();
      return;
    }
    const focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null;
    root.innerHTML = html;  // the server's own rendering of the columns
    init();
    const again = focused && document.getElementById(focused);
    if (again) again.focus();
    root.dataset.refreshed = String(Number(root.dataset.refreshed || 0) + 1);
  }

  function schedule() {
    // One refresh for a burst of events, and at most one a second on a busy project.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, Math.max(100, 1000 - (Date.now() - lastRefresh)));
  }

  let lastEventId = null, retry = 1000;
  async function connect() {
    if (!("WebSocket" in window)) return;
    let ticket;
    try {
      const response = await fetch("/v2/live/tickets", {method: "POST", credentials: "same-origin",
                                                         headers: {"X-CSRF-Token": csrf}});
      if (!response.ok) return;
      ticket = (await response.json()).ticket;
    } catch (error) { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); return; }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const resume = lastEventId !== null ? "&last_event_id=" + encodeURIComponent(lastEventId) : "";
    const socket = new WebSocket(`${scheme}//${location.host}/v2/projects/${projectId}/live?ticket=${ticket}${resume}`);
    socket.onopen = () => { retry = 1000; root.dataset.live = "connected"; };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.id !== undefined) lastEventId = message.id;
      if (message.type === "subscribed" && lastEventId === null) lastEventId = message.last_event_id ?? null;
      if (LIVE_TYPES.includes(message.type)) schedule();
    };
    socket.onclose = (event) => {
      delete root.dataset.live;
      if (event.code < 4400 || event.code >= 4500) { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); }
    };
  }

  init();
  connect();
})();
