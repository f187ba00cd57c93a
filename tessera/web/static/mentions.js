// @mention autocomplete in comment and description textareas ([data-mentions]): typing `@` and
// the start of a name lists matching people; ↑ ↓ choose, Enter or Tab insert, Esc closes. The
// inserted text is `@[Name](account:ID)`, the form the Markdown renderer turns into a mention
// (tessera/issues/comments/markup.py). data-mentions names the source: an issue's
// /v2/issues/{key}/mentionable (people who may see the issue), or empty for /v2/users (anyone in
// the organization, for an issue not created yet). Both offer no one to whoever lacks the
// USER_PICKER permission, and never anyone of another organization.
(function () {
  "use strict";
  const TRIGGER = /(^|[\s(])@([^\s@[\]()]{0,40})$/;
  const list = document.createElement("ul");
  list.id = "mention-suggestions";
  list.className = "mention-suggestions card";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "People to mention");
  list.hidden = true;
  document.body.append(list);
  let field = null, people = [], active = -1, start = 0, requestId = 0, timer = null, swallowEscape = false;

  function prepare(textarea) {
    if (textarea.dataset.mentionsReady) return;
    textarea.dataset.mentionsReady = "1";
    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-expanded", "false");
    textarea.setAttribute("aria-controls", list.id);
  }

  function url(textarea, query) {
    const source = textarea.dataset.mentions;
    const params = new URLSearchParams({query, max_results: "8"});
    return source ? `${source}?${params}` : `/v2/users?${params}`;
  }

  function mentionOf(person) {
    if (person.mention) return person.mention;
    const label = String(person.display_name).replace(/[[\]\n]+/g, " ").trim() || "user";
    return `@[${label}](account:${person.id})`;
  }

  function close() {
    list.hidden = true;
    list.replaceChildren();
    people = [];
    active = -1;
    if (field) {
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    }
  }

  function select(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (field && list.children[index]) field.setAttribute("aria-activedescendant", list.children[index].id);
  }

  function place(textarea) {
    const box = textarea.getBoundingClientRect();
    list.style.left = `${window.scrollX + box.left}px`;
    list.style.top = `${window.scrollY + box.bottom + 2}px`;
    list.style.minWidth = `${Math.min(box.width, 320)}px`;
  }

  function show(textarea, found) {
    people = found;
    list.replaceChildren();
    found.forEach((person, index) => {
      const li = document.createElement("li");
      li.id = `mention-option-${index}`;
      li.setAttribute("role", "option");
      const name = document.createElement("span");
      name.textContent = person.display_name;
      const email = document.createElement("span");
      email.className = "muted small";
      email.textContent = person.email || "";
      li.append(name, " ", email);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); accept(index); });
      list.append(li);
    });
    if (!found.length) { close(); return; }
    place(textarea);
    list.hidden = false;
    textarea.setAttribute("aria-expanded", "true");
    select(0);
  }

  function accept(index) {
    const person = people[index];
    if (!person || !field) return;
    const cursor = field.selectionStart;
    const text = field.value;
    const insert = mentionOf(person) + " ";
    field.value = text.slice(0, start) + insert + text.slice(cursor);
    const at = start + insert.length;
    field.setSelectionRange(at, at);
    field.dispatchEvent(new Event("change", {bubbles: true}));
    close();
    field.focus();
  }

  async function lookup(textarea) {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = TRIGGER.exec(before);
    if (!match) { close(); return; }
    field = textarea;
    start = before.length - match[2].length - 1;
    const mine = ++requestId;
    try {
      const response = await fetch(url(textarea, match[2]), {credentials: "same-origin"});
      if (mine !== requestId) return;
      if (!response.ok) { close(); return; }
      const body = await response.json();
      show(textarea, body.users || []);
    } catch (error) { close(); }
  }

  document.addEventListener("focusin", (event) => {
    if (event.target.matches && event.target.matches("textarea[data-mentions]")) prepare(event.target);
  });
  document.addEventListener("input", (event) => {
    const textarea = event.target;
    if (!textarea.matches || !textarea.matches("textarea[data-mentions]")) return;
    prepare(textarea);
    clearTimeout(timer);
    timer = setTimeout(() => lookup(textarea), 150);
  });
  document.addEventListener("focusout", (event) => {
    if (event.target === field) setTimeout(close, 150);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target !== field || list.hidden || !people.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      select((active + (event.key === "ArrowDown" ? 1 : -1) + people.length) % people.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
      event.preventDefault();
      event.stopImmediatePropagation();
      accept(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      swallowEscape = true;
      close();
    }
  }, true);
  // Esc that closed the list must not also cancel the editor around it (tessera.js's key-escape).
  document.addEventListener("keyup", (event) => {
    if (event.key === "Escape" && swallowEscape) {
      swallowEscape = false;
      event.stopImmediatePropagation();
    }
  }, true);
})();
