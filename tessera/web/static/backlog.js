// Sprint planning: issues are dragged between the sprints and the backlog and up and down within
// one (SortableJS, vendored), or moved with the keyboard (a focused issue: Shift+Up/Down ranks
// it, Shift+PageUp/PageDown moves it to the list above or below). Each move posts the issue, the
// list it went to and its neighbour (to rank next to); a refusal puts it back with the reason.
// After a move the lists' counts and estimate totals are read again from the server.
(function () {
  "use strict";
  const root = document.getElementById("planning");
  if (!root) return;
  const boardId = root.dataset.boardId, csrf = root.dataset.csrf;
  const announcer = document.getElementById("backlog-announce");
  let busy = 0;

  const itemsOf = (list) => [...list.querySelectorAll(":scope > .plan-issue")];
  const lists = () => [...root.querySelectorAll("[data-list]")];

  function flash(message) {
    const alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.textContent = message;
    document.getElementById("flash").replaceChildren(alert);
  }

  function place(item, list, before) {
    const more = list.querySelector(":scope > .load-more");  // "load more" stays last
    list.insertBefore(item, before && before.parentNode === list ? before : more);
  }

  async function refreshTotals() {
    const response = await fetch(window.location.href, {credentials: "same-origin"});
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    fresh.querySelectorAll("[data-totals]").forEach((totals) => {
      const here = root.querySelector(`[data-totals="${totals.dataset.totals}"]`);
      if (here) here.textContent = totals.textContent;
    });
  }

  async function commit(item, origin) {
    const list = item.parentElement, items = itemsOf(list), at = items.indexOf(item), key = item.dataset.key;
    const params = new URLSearchParams({issue: key, to: list.dataset.list});
    if (items[at + 1]) params.set("rank_before", items[at + 1].dataset.key);
    else if (items[at - 1]) params.set("rank_after", items[at - 1].dataset.key);
    const started = performance.now();
    busy += 1;
    item.classList.add("moving");
    try {
      const response = await fetch(`/boards/${boardId}/backlog/move`, {
        method: "POST", credentials: "same-origin", body: params, headers: {"HX-Request": "true", "X-CSRF-Token": csrf}});
      if (!response.ok) {
        const alert = new DOMParser().parseFromString(await response.text(), "text/html").querySelector(".alert");
        const message = (alert ? alert.textContent : "").trim() || `The move failed (${response.status}).`;
        place(item, origin.parent, origin.next);
        flash(message);
        announcer.textContent = `${key} not moved: ${message}`;
        return;
      }
      root.dataset.lastMoveMs = (performance.now() - started).toFixed(1);
      announcer.textContent = `${key} moved to ${list.dataset.listName}, position ${at + 1}.`;
      if (origin.parent !== list) await refreshTotals();
      root.dataset.moves = String(Number(root.dataset.moves || 0) + 1);
    } finally {
      busy -= 1;
      item.classList.remove("moving");
    }
  }

  function init(list) {
    let origin = null;
    window.Sortable.create(list, {
      group: "planning", draggable: ".plan-issue", filter: ".load-more", preventOnFilter: false,
      forceFallback: true, fallbackTolerance: 3, animation: 120,
      onStart: (event) => { origin = {parent: event.from, next: event.item.nextElementSibling}; },
      onEnd: (event) => {
        if (event.from === event.to && event.oldIndex === event.newIndex) return;
        place(event.item, event.to, event.item.nextElementSibling);  // never below "load more"
        commit(event.item, origin);
      },
    });
  }

  root.addEventListener("keydown", (event) => {
    const item = event.target;
    if (!item.classList || !item.classList.contains("plan-issue")) return;
    if (event.key === "Enter") { window.location.assign(item.querySelector("a").href); return; }
    const list = item.parentElement, items = itemsOf(list), at = items.indexOf(item);
    if (!event.shiftKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {  // move the focus
      event.preventDefault();
      const next = items[at + (event.key === "ArrowUp" ? -1 : 1)];
      if (next) next.focus();
      return;
    }
    if (!event.shiftKey || busy) return;
    const origin = {parent: list, next: item.nextElementSibling};
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      const neighbour = items[at + (event.key === "ArrowUp" ? -1 : 1)];
      if (!neighbour) return;
      event.preventDefault();
      place(item, list, event.key === "ArrowUp" ? neighbour : neighbour.nextElementSibling);
    } else if (event.key === "PageUp" || event.key === "PageDown") {
      const all = lists(), target = all[all.indexOf(list) + (event.key === "PageUp" ? -1 : 1)];
      if (!target) return;
      event.preventDefault();
      place(item, target, itemsOf(target)[0]);
    } else {
      return;
    }
    item.focus();
    commit(item, origin);
  });

  if (window.Sortable) lists().forEach(init);
})();
