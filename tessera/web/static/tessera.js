// What the pages would otherwise write inline, which their Content-Security-Policy forbids (no
// inline script or event handler, no eval): a confirmation before some forms post
// (`data-confirm="..."`), and keyboard triggers for htmx. htmx evaluates a trigger filter such
// as `keyup[key=='Enter']` as code, so pages name the events dispatched here instead:
// `hx-trigger="click, key-enter"`, `key-escape`. A button with `data-copy="<id>"` copies that
// element's text (a webhook URL, a secret shown once) to the clipboard. A button with
// `data-dialog="<id>"` opens that <dialog> as a modal (the page behind is inert, so focus stays
// in it; Esc closes it) and, when it closes, focus returns to the button; `data-close` inside a
// dialog closes it.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset ? event.target.dataset.confirm : undefined;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("click", (event) => {
    const button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    const source = button ? document.getElementById(button.dataset.copy) : null;
    if (!source || !navigator.clipboard) {
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(() => {
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  });
  document.addEventListener("click", (event) => {
    const opener = event.target.closest ? event.target.closest("[data-dialog]") : null;
    const dialog = opener ? document.getElementById(opener.dataset.dialog) : null;
    if (dialog && dialog.showModal && !dialog.open) {
      dialog.addEventListener("close", () => opener.focus(), {once: true});
      dialog.showModal();
      const first = dialog.querySelector("input:not([type=hidden]), select, textarea, button");
      if (first) first.focus();
      return;
    }
    const closer = event.target.closest ? event.target.closest("dialog [data-close]") : null;
    if (closer) closer.closest("dialog").close();
  });
  document.addEventListener("keyup", (event) => {
    if (event.key === "Enter" || event.key === "Escape") {
      event.target.dispatchEvent(new CustomEvent("key-" + event.key.toLowerCase(), {bubbles: true}));
    }
  });
})();
