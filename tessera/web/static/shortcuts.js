// Keyboard shortcuts, on every signed-in page (listed in the `?` dialog, partials/shortcuts.html):
//   c        create an issue (the create dialog, static/create.js)
//   j / k    move the selection down / up an issue list ([data-keyboard-list]: search results,
//            a project's issues); the selected row is marked and its link focused
//   o, Enter open the selected issue
//   /        focus the search (the page's JQL editor or search box; elsewhere go to /search)
//   ?        this list
// None fires while typing in a field, with Ctrl/Alt/Meta held, or while a dialog is open.
(function () {
  "use strict";
  const help = document.getElementById("shortcuts-dialog");
  let selectedKey = null;

  function typing(target) {
    return target instanceof Element && (target.isContentEditable
      || target.closest("input, textarea, select, [contenteditable]") !== null);
  }

  function rows() {
    const list = document.querySelector("[data-keyboard-list]");
    return list ? [...list.querySelectorAll("tbody tr")] : [];
  }

  function rowKey(row) {
    const link = row.querySelector("a.issue-key") || row.querySelector("a[href]");
    return link ? link.getAttribute("href") : null;
  }

  function mark(all, index) {
    all.forEach((row, i) => {
      row.classList.toggle("kbd-selected", i === index);
      if (i === index) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const current = all.findIndex((row) => rowKey(row) === selectedKey);
    const index = current < 0 ? (step > 0 ? 0 : all.length - 1) : Math.max(0, Math.min(all.length - 1, current + step));
    selectedKey = rowKey(all[index]);
    mark(all, index);
    const link = all[index].querySelector("a.issue-key") || all[index].querySelector("a[href]");
    if (link) link.focus({preventScroll: true});
    all[index].scrollIntoView({block: "nearest"});
  }

  function open() {
    const row = rows().find((r) => rowKey(r) === selectedKey);
    if (row && selectedKey) window.location.href = selectedKey;
    return Boolean(row);
  }

  function focusSearch() {
    const field = document.getElementById("jql") || document.querySelector("main input[type=search]");
    if (field) { field.focus(); field.select && field.select(); return; }
    window.location.href = "/search";
  }

  function showHelp() {
    if (!help || help.open) return;
    const opener = document.activeElement;
    help.addEventListener("close", () => { if (opener && opener.focus) opener.focus(); }, {once: true});
    help.showModal();
    const close = help.querySelector("[data-close]");
    if (close) close.focus();
  }

  // A live refresh or a page of results replaces the list: keep the selection on the same issue.
  document.addEventListener("htmx:afterSettle", () => {
    const all = rows();
    const index = all.findIndex((row) => rowKey(row) === selectedKey);
    if (index >= 0) mark(all, index);
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "Enter") {  // on a focused link Enter opens it by itself
      if (!typing(event.target) && !(event.target instanceof HTMLAnchorElement) && selectedKey && open()) event.preventDefault();
      return;
    }
    if (typing(event.target)) return;
    const actions = {
      j: () => move(1), k: () => move(-1), o: () => open(), "/": focusSearch, "?": showHelp,
      c: () => document.dispatchEvent(new CustomEvent("tessera:create")),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
})();
