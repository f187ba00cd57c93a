// The JQL editor on /search: an ARIA combobox over the query textarea. What is offered depends on
// where the cursor is in the query: a field name, that field's operators, its values and
// functions (asked of /v2/jql/autocomplete as you type), AND / OR / ORDER BY after a clause, and
// sortable fields with ASC / DESC after ORDER BY. Field names and operators come from
// /v2/jql/autocomplete/data, read once. ↑ ↓ choose, Enter or Tab insert, Esc closes; Enter with
// nothing offered runs the search. A query the server refused has its error position marked
// (data-error-offset): the cursor is put there.
(function () {
  "use strict";
  const input = document.getElementById("jql");
  const list = document.getElementById("jql-suggestions");
  if (!input || !list) return;
  const form = input.form;
  const KEYWORDS_AFTER = ["AND", "OR", "ORDER BY"];
  const DIRECTIONS = ["ASC", "DESC"];
  let data = null, options = [], active = -1, replaceFrom = 0, requestId = 0, timer = null;

  function load() {
    if (data) return Promise.resolve(data);
    return fetch("/v2/jql/autocomplete/data", {credentials: "same-origin"})
      .then((response) => (response.ok ? response.json() : {fields: [], functions: []}))
      .then((json) => { data = json; return data; })
      .catch(() => ({fields: [], functions: []}));
  }

  // Tokens: quoted strings, words (field names, values, keywords, cf[N]), operators, ( ) ,
  function tokenize(text) {
    const tokens = [];
    const pattern = /\s+|"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?|!=|!~|>=|<=|[=~<>]|[(),]|[^\s"'()=!~<>,]+|!/g;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      if (!/^\s+$/.test(match[0])) tokens.push({text: match[0], start: match.index});
      if (match[0] === "") pattern.lastIndex++;
    }
    return tokens;
  }

  const OPERATOR = /^(=|!=|>|>=|<|<=|~|!~)$/;
  const upper = (token) => token.text.toUpperCase();

  // Where the cursor is: {state: field|operator|value|after|order, field, prefix, from}.
  function context(text, cursor) {
    const before = text.slice(0, cursor);
    const tokens = tokenize(before);
    let partial = null;
    if (tokens.length && /[^\s(),]$/.test(before)) {
      const last = tokens[tokens.length - 1];
      if (last.start + last.text.length === cursor && !OPERATOR.test(last.text)) partial = tokens.pop();
    }
    let state = "field", field = null, depth = 0, inList = false;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i], word = upper(token);
      if (state === "field") {
        if (word === "NOT" || word === "(") continue;
        if (word === "ORDER") { state = "order"; continue; }
        field = token.text.replace(/^["']|["']$/g, "");
        state = "operator";
      } else if (state === "operator") {
        if (OPERATOR.test(token.text) || ["IN", "IS", "WAS", "CHANGED"].includes(word)) {
          state = word === "CHANGED" ? "after" : "value";
        } else if (word !== "NOT") {
          state = "after";
        }
      } else if (state === "value") {
        if (word === "NOT" || word === "IN") continue;  // IS NOT, WAS NOT IN
        if (word === "(") { inList = true; continue; }
        if (inList) { if (word === ")") { inList = false; state = "after"; } continue; }
        const next = tokens[i + 1];
        if (next && next.text === "(") {  // a function call: skip its arguments
          depth = 0;
          for (i += 1; i < tokens.length; i++) {
            if (tokens[i].text === "(") depth++;
            if (tokens[i].text === ")" && --depth === 0) break;
          }
        }
        state = "after";
      } else if (state === "after") {
        if (word === ")") continue;
        if (word === "AND" || word === "OR") state = "field";
        else if (word === "ORDER") state = "order";
      } else if (state === "order") {
        if (word === "BY" || word === "," || word === "ASC" || word === "DESC") continue;
      }
    }
    if (state === "order") {
      const last = tokens[tokens.length - 1];
      state = !last || upper(last) === "ORDER" ? "orderby" : upper(last) === "BY" || last.text === "," ? "order" : "direction";
    }
    return {state, field, prefix: partial ? partial.text : "", from: partial ? partial.start : cursor};
  }

  function starts(candidate, prefix) {
    const wanted = prefix.replace(/^["']/, "").toLowerCase();
    return String(candidate).replace(/^["']/, "").toLowerCase().startsWith(wanted);
  }

  function fieldEntry(name) {
    const wanted = (name || "").toLowerCase();
    return (data.fields || []).find((f) => String(f.value).replace(/^["']|["']$/g, "").toLowerCase() === wanted
      || String(f.display).toLowerCase() === wanted || (f.cf_id || "").toLowerCase() === wanted);
  }

  function staticOptions(where) {
    const fields = data.fields || [];
    if (where.state === "field") {
      return fields.filter((f) => starts(f.value, where.prefix) || starts(f.display, where.prefix))
        .slice(0, 15).map((f) => ({value: f.value, label: f.display, hint: "field"}));
    }
    if (where.state === "operator") {
      const entry = fieldEntry(where.field);
      return (entry ? entry.operators : ["=", "!=", "IN", "NOT IN", "~"]).filter((op) => starts(op, where.prefix))
        .map((op) => ({value: op, label: op, hint: "operator"}));
    }
    if (where.state === "after") {
      return KEYWORDS_AFTER.filter((k) => starts(k, where.prefix)).map((k) => ({value: k, label: k, hint: "keyword"}));
    }
    if (where.state === "orderby") return [{value: "BY", label: "BY", hint: "keyword"}];
    if (where.state === "order") {
      return fields.filter((f) => f.orderable && (starts(f.value, where.prefix) || starts(f.display, where.prefix)))
        .slice(0, 15).map((f) => ({value: f.value, label: f.display, hint: "sort by"}));
    }
    if (where.state === "direction") {
      return DIRECTIONS.filter((k) => starts(k, where.prefix)).map((k) => ({value: k, label: k, hint: "direction"}))
        .concat([{value: ",", label: ", (another sort field)", hint: ""}]);
    }
    return [];
  }

  async function valueOptions(where, mine) {
    const query = new URLSearchParams({field: where.field || "", value: where.prefix});
    try {
      const response = await fetch(`/v2/jql/autocomplete?${query}`, {credentials: "same-origin"});
      if (mine !== requestId || !response.ok) return null;
      const body = await response.json();
      return (body.results || []).map((r) => ({value: r.value, label: r.display,
                                               hint: /\)$/.test(r.value) ? "function" : "value"}));
    } catch (error) { return null; }
  }

  function show(found, from) {
    options = found;
    replaceFrom = from;
    list.replaceChildren();
    found.forEach((option, index) => {
      const li = document.createElement("li");
      li.id = `jql-option-${index}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.className = "jql-option";
      const label = document.createElement("span");
      label.textContent = option.label;
      const hint = document.createElement("span");
      hint.className = "muted small";
      hint.textContent = option.hint;
      li.append(label, hint);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); accept(index); });
      list.append(li);
    });
    const open = found.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    select(open ? 0 : -1);
  }

  function close() { show([], 0); }

  function select(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0 && list.children[index]) {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function accept(index) {
    const option = options[index];
    if (!option) return;
    clearTimeout(timer);  // what was typed before is answered by the suggest() below
    const cursor = input.selectionStart;
    const text = input.value;
    const insert = option.value + " ";
    input.value = text.slice(0, replaceFrom) + insert + text.slice(cursor).replace(/^\S*\s?/, "");
    const at = replaceFrom + insert.length;
    input.setSelectionRange(at, at);
    input.removeAttribute("aria-invalid");
    close();
    input.focus();
    suggest();
  }

  // Each call supersedes any earlier one still waiting (for the data or for values), and so
  // does Esc: a late answer never reopens a list that was closed.
  async function suggest() {
    const mine = ++requestId;
    await load();
    if (mine !== requestId) return;
    const where = context(input.value, input.selectionStart);
    if (where.state === "value") {
      const found = await valueOptions(where, mine);
      if (found !== null && mine === requestId) show(found, where.from);
      return;
    }
    show(staticOptions(where), where.from);
  }

  function dismiss() {
    clearTimeout(timer);
    requestId++;
    close();
  }

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(suggest, 120); });
  input.addEventListener("focus", () => { if (!input.dataset.errorOffset) suggest(); });
  input.addEventListener("click", () => { clearTimeout(timer); timer = setTimeout(suggest, 50); });
  input.addEventListener("blur", () => setTimeout(dismiss, 100));
  input.addEventListener("keydown", (event) => {
    const open = !list.hidden && options.length > 0;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      select((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      select((active - 1 + options.length) % options.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && open && active >= 0 && !event.shiftKey) {
      event.preventDefault();
      accept(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopPropagation();
      dismiss();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      dismiss();
      form.requestSubmit();
    } else if (event.key === " " && event.ctrlKey) {
      event.preventDefault();
      suggest();
    }
  });

  const offset = Number(input.dataset.errorOffset);
  if (input.dataset.errorOffset && !Number.isNaN(offset)) {
    input.focus();
    input.setSelectionRange(offset, offset);
  }
})();
