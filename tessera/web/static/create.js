// The create-issue form, on its page and in the dialog that `c` (static/shortcuts.js) or the top
// bar's Create button opens on any page. The dialog's body is the page's form
// (/issues/new?dialog=1, partials/create_form.html), posted with HTMX: a refusal comes back in
// place with the input kept and focus on the first marked field; success follows HX-Redirect
// to the new issue. The dialog is modal (the page behind is inert, so focus stays in it), Esc
// closes it, and focus returns to where it was.
//
// Custom fields that do not apply to the chosen project and issue type are hidden and disabled
// (so they are not sent).
(function () {
  "use strict";
  const dialog = document.getElementById("create-dialog");
  const body = dialog ? dialog.querySelector(".dialog-body") : null;

  function applies(list, id) {
    return !list || list.split(",").includes(id);
  }

  function fitFields(form) {
    const project = form.querySelector("select[name=project]");
    const type = form.querySelector("select[name=issue_type]");
    form.querySelectorAll(".custom-field").forEach((field) => {
      const shown = applies(field.dataset.projects, project ? project.value : "")
        && applies(field.dataset.types, type ? type.value : "");
      field.hidden = !shown;
      field.querySelectorAll("input, select, textarea").forEach((control) => { control.disabled = !shown; });
    });
  }

  function focusFirst(form) {
    const target = form.querySelector("[aria-invalid=true]:not(fieldset), fieldset[aria-invalid=true] input")
      || form.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (target) target.focus();
  }

  document.querySelectorAll(".create-form").forEach(fitFields);
  document.addEventListener("change", (event) => {
    const form = event.target.closest ? event.target.closest(".create-form") : null;
    if (form && ["project", "issue_type"].includes(event.target.name)) fitFields(form);
  });

  if (!dialog || !body) return;

  async function open(project) {
    if (dialog.open) return;
    const opener = document.activeElement;
    const query = new URLSearchParams({dialog: "1", project: project || ""});
    let response;
    try {
      response = await fetch(`/issues/new?${query}`, {credentials: "same-origin"});
    } catch (error) { response = null; }
    if (!response || !response.ok) { window.location.href = "/issues/new"; return; }
    body.innerHTML = await response.text();  // our own page's form: no scripts in it
    if (window.htmx) window.htmx.process(body);
    const form = body.querySelector(".create-form");
    dialog.addEventListener("close", () => {
      body.replaceChildren();
      if (opener && opener.focus) opener.focus();
    }, {once: true});
    dialog.showModal();
    if (form) { form.dataset.fitted = "1"; fitFields(form); focusFirst(form); }
  }

  document.addEventListener("tessera:create", () => {
    const link = document.querySelector("a[data-create]");
    open(link ? link.dataset.project : "");
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("a[data-create]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    open(link.dataset.project);
  });
  // A refused form swapped in (whatever element htmx reports the swap on).
  new MutationObserver(() => {
    const form = body.querySelector(".create-form");
    if (form && dialog.open && !form.dataset.fitted) {
      form.dataset.fitted = "1";
      fitFields(form);
      focusFirst(form);
    }
  }).observe(body, {childList: true});
})();
