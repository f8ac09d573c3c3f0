// The dashboard: plain DOM, no framework, no build. Every text from the fake goes into the
// page through textContent, never as HTML: messages "may contain rich content markup", and a
// <script> in one must stay text (the page's Content-Security-Policy is the second lock).
"use strict";

const ADMIN = "/__mock__";
const POLL_JOURNAL_MS = 400; // an entry shows within a second of its request
const POLL_STATE_MS = 1000;
const MAX_THREADS = 10;
const MAX_THREAD_MESSAGES = 200;

const $ = (id) => document.getElementById(id);
const state = { session: "", rules: [], journal: [], routes: ["*"] };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function say(text) {
  $("status").textContent = text;
}

// One way to call the fake: the chosen session's header on every request; a change without a
// JSON body carries X-Mock-Admin, as the admin API asks of scripts.
async function call(method, path, body) {
  const headers = {};
  if (state.session) headers["X-Mock-Session"] = state.session;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  } else if (method !== "GET") {
    headers["X-Mock-Admin"] = "dashboard";
  }
  const answer = await fetch(path, init);
  const text = await answer.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (error) {
    json = null;
  }
  return { status: answer.status, ok: answer.ok, json, text };
}

// One form for every time on the page: ISO 8601 in UTC, as the fake's clock counts.
function date(seconds) {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function count(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// -- threads ---------------------------------------------------------------------------------

function messageItem(message) {
  const author = message.author && (message.author.name || `user ${message.author.id}`);
  return el(
    "li",
    { class: "message", "data-id": String(message.id) },
    el("div", { class: "meta" },
      el("span", { class: "author", text: author || "?" }), " · ",
      el("time", { datetime: date(message.date), text: date(message.date) }), " · ",
      el("span", { text: `#${message.id}` })),
    el("p", { class: "text", text: message.message }),
  );
}

function thread(conversation, messages) {
  const items = new Map();
  const roots = el("ul", { class: "thread" });
  for (const message of messages) {
    const item = messageItem(message);
    items.set(message.id, item);
    const parentId = message.parent && typeof message.parent === "object" ? message.parent.id : message.parent;
    const parent = parentId != null ? items.get(parentId) : undefined;
    if (parent) {
      let replies = parent.querySelector(":scope > ul");
      if (!replies) parent.append((replies = el("ul", { class: "replies", "aria-label": "Replies" })));
      replies.append(item);
    } else {
      roots.append(item);
    }
  }
  const shown = messages.length < conversation.messages ? ` (the first ${messages.length})` : "";
  return el(
    "article", { class: "conversation", "aria-label": `Conversation ${conversation.id}` },
    el("h3", { text: `Conversation ${conversation.id} · ${count(conversation.messages, "message")}${shown}` }),
    roots,
  );
}

async function refreshThreads() {
  const listed = await call("GET", `${ADMIN}/conversations?limit=${MAX_THREADS}`);
  if (!listed.ok) return;
  const articles = [];
  for (const conversation of listed.json.conversations) {
    const page = await call("GET", `${ADMIN}/conversations/${conversation.id}/messages?limit=${MAX_THREAD_MESSAGES}`);
    if (page.ok) articles.push(thread(conversation, page.json.items));
  }
  const list = $("thread-list");
  if (!articles.length) articles.push(el("p", { text: "No conversations yet." }));
  list.replaceChildren(...articles);
}

// With --watch, creations go to the real API: say what was judged, and that the panel above the
// journal is the local fake's (the traffic judged is in the journal, each row with its verdict).
async function refreshWatch() {
  const answer = await call("GET", `${ADMIN}/violations`);
  if (!answer.ok || !answer.json.watching) return;
  const { judged, not_judged: notJudged, violations } = answer.json;
  const skipped = Object.values(notJudged).reduce((sum, n) => sum + n, 0);
  const note = $("watch-note");
  note.textContent =
    `Watching the real API: ${count(judged, "creation")} judged, ${count(violations.length, "violation")},` +
    ` ${skipped} not judged; each is in the live journal with its verdict. The conversations below are the` +
    " local fake's own: requests passed on to the real API do not change them.";
  note.hidden = false;
}

// -- journal ---------------------------------------------------------------------------------

// Every part is quoted for a POSIX shell: a journaled method, path, header or body is whatever a
// client sent, and pasting the line must run curl, nothing else.
function curl(entry) {
  const url = `${location.origin}${entry.path}${entry.query ? `?${entry.query}` : ""}`;
  const quote = (text) => `'${String(text).replaceAll("'", "'\\''")}'`;
  const parts = ["curl", "-X", quote(entry.method), quote(url)];
  for (const [name, value] of entry.request_headers || []) parts.push("-H", quote(`${name}: ${value}`));
  if (entry.request_body) parts.push("--data-binary", quote(entry.request_body));
  return parts.join(" ");
}

function showEntry(entry) {
  $("entry").hidden = false;
  const by = entry.proxied ? " (answered by the upstream)" : "";
  $("entry-title").textContent = `${entry.method} ${entry.path} → ${entry.status || "dropped"}${by}`;
  $("entry-request").textContent = entry.request_body || "(none)";
  $("entry-answer").textContent = entry.response_body || "(none)";
  $("entry-verdict").hidden = !entry.verdict;
  $("entry-verdict").textContent = entry.verdict ? `Contract: ${entry.verdict}` : "";
  $("entry-verdict").className = entry.verdict && entry.verdict.startsWith("violation") ? "violation" : "";
  $("entry-curl").textContent = curl(entry);
  $("entry").scrollIntoView({ block: "nearest" });
}

function renderJournal() {
  const statusClass = $("journal-status").value;
  const conversation = $("journal-conversation").value.trim();
  const rows = [];
  for (const entry of [...state.journal].reverse()) {
    if (statusClass && String(entry.status)[0] !== statusClass) continue;
    if (conversation && !entry.path.startsWith(`/conversations/${conversation}/`)) continue;
    const broke = Boolean(entry.verdict && entry.verdict.startsWith("violation"));
    const shown = `${entry.method} ${entry.path}${entry.proxied ? " (upstream)" : ""}${broke ? " ⚠ contract" : ""}`;
    const open = el("button", { type: "button", class: "link", text: shown });
    open.addEventListener("click", () => showEntry(entry));
    rows.push(el("tr", { class: `status-${String(entry.status)[0]}${broke ? " violation" : ""}` },
      el("td", { text: date(entry.time) }),
      el("td", {}, open),
      el("td", { text: entry.status ? String(entry.status) : "dropped" }),
      el("td", { text: entry.duration_ms.toFixed(1) }),
      el("td", { text: state.session || "default" })));
  }
  $("journal-rows").replaceChildren(...rows);
}

async function refreshJournal() {
  const got = await call("GET", `${ADMIN}/journal?limit=200`);
  if (!got.ok) return;
  const last = (entries) => (entries.length ? entries[entries.length - 1].time : 0);
  if (got.json.entries.length !== state.journal.length || last(got.json.entries) !== last(state.journal)) {
    state.journal = got.json.entries;
    renderJournal();
  }
}

// -- controls --------------------------------------------------------------------------------

async function refreshClock() {
  const got = await call("GET", `${ADMIN}/clock`);
  if (!got.ok) return;
  $("clock-now").textContent = `${got.json.now} (${date(got.json.now)})`;
  $("clock-mode").textContent = got.json.frozen ? "frozen" : "running";
}

async function sendRules() {
  const enabled = state.rules.filter((r) => r.enabled).map((r) => r.rule);
  const doc = {
    latency: enabled.filter((rule) => "min_ms" in rule),
    failures: enabled.filter((rule) => !("min_ms" in rule)),
  };
  const answer = await call("PUT", `${ADMIN}/faults`, doc);
  say(answer.ok ? "Faults in force." : `Faults refused: ${answer.json ? answer.json.detail : answer.status}`);
  renderRules();
}

function describe(rule) {
  if ("min_ms" in rule) {
    const spread = rule.spread_ms ? `-${rule.min_ms + rule.spread_ms}` : "";
    return `${rule.route}: ${rule.min_ms}${spread} ms late`;
  }
  const what = rule.drop ? "dropped" : `fail with ${rule.status}`;
  const how = rule.count != null ? `the next ${rule.count}` : rule.rate != null ? `${rule.rate * 100}% of them` : "every one";
  return `${rule.route}: ${how} ${what}`;
}

function renderRules() {
  const items = state.rules.map((entry, index) => {
    const box = el("input", { type: "checkbox", id: `rule-${index}` });
    box.checked = entry.enabled;
    box.addEventListener("change", () => {
      entry.enabled = box.checked;
      sendRules();
    });
    const remove = el("button", { type: "button", text: "Remove", "aria-label": `Remove rule: ${describe(entry.rule)}` });
    remove.addEventListener("click", () => {
      state.rules.splice(index, 1);
      sendRules();
    });
    return el("li", {}, box, el("label", { for: `rule-${index}`, text: describe(entry.rule) }), " ", remove);
  });
  $("fault-rules").replaceChildren(...items);
}

function number(id) {
  const value = $(id).value.trim();
  return value === "" ? undefined : Number(value);
}

function addRule(event) {
  event.preventDefault();
  const route = $("fault-route").value;
  let rule;
  if ($("fault-kind").value === "latency") {
    // The form asks for a range; the fake takes a minimum and a spread, so no range is out of order.
    const low = number("fault-min") ?? 0;
    const high = number("fault-max");
    rule = { route, min_ms: high !== undefined ? Math.min(low, high) : low };
    if (high !== undefined) rule.spread_ms = Math.abs(high - low);
  } else {
    rule = { route, status: number("fault-status") ?? 503, drop: $("fault-drop").checked };
    if (number("fault-count") !== undefined) rule.count = number("fault-count");
    if (number("fault-rate") !== undefined) rule.rate = number("fault-rate");
  }
  state.rules.push({ rule, enabled: true });
  sendRules();
}

async function loadRules() {
  const got = await call("GET", `${ADMIN}/faults`);
  if (!got.ok) return;
  state.rules = [...got.json.latency, ...got.json.failures].map((rule) => ({ rule, enabled: true }));
  renderRules();
}

async function seed(event) {
  event.preventDefault();
  const errors = $("seed-errors");
  errors.replaceChildren();
  let text = $("seed-text").value;
  const file = $("seed-file").files[0];
  if (file) text = await file.text();
  try {
    JSON.parse(text);
  } catch (error) {
    errors.append(el("li", { text: `(body): not JSON: ${error.message}` }));
    say("Seed refused: not JSON.");
    return;
  }
  const answer = await call("POST", `${ADMIN}/seed`, text);
  if (answer.ok) {
    say(`Seeded: ${count(answer.json.messages.length, "message")}, ${count(answer.json.users, "user")}.`);
    refreshThreads();
    return;
  }
  const problems = answer.json && answer.json.errors ? answer.json.errors : [{ pointer: "", detail: answer.json ? answer.json.detail : answer.text }];
  for (const problem of problems) errors.append(el("li", { class: "error", text: `${problem.pointer || "(body)"}: ${problem.detail}` }));
  say(`Seed refused: ${count(problems.length, "error")}, listed under the form.`);
}

async function clock(event) {
  event.preventDefault();
  const action = event.submitter ? event.submitter.value : "freeze";
  const command = action === "freeze" ? { freeze: number("clock-at") ?? Math.floor(Date.now() / 1000) }
    : action === "advance" ? { advance: number("clock-by") ?? 0 } : { real: true };
  const answer = await call("POST", `${ADMIN}/clock`, command);
  say(answer.ok ? `Clock ${action === "real" ? "released" : action === "freeze" ? "frozen" : "advanced"}.` : `Clock refused: ${answer.json.detail}`);
  refreshClock();
}

async function reset(event) {
  event.preventDefault();
  const answer = await call("POST", `${ADMIN}/reset`);
  say(answer.ok ? "Reset to the start-up seed." : `Reset refused (${answer.status}).`);
  state.rules = [];
  renderRules();
  refreshAll();
}

async function refreshSessions() {
  const got = await call("GET", `${ADMIN}/sessions`);
  if (!got.ok) return;
  const select = $("session");
  const names = ["", ...got.json.sessions.map((s) => s.name)];
  if (state.session && !names.includes(state.session)) names.push(state.session);
  const current = [...select.options].map((o) => o.value);
  if (current.join("\n") === names.join("\n")) return;
  select.replaceChildren(...names.map((name) => el("option", { value: name, text: name || "default" })));
  select.value = state.session;
}

// -- the API ---------------------------------------------------------------------------------

function fieldsOf(schema, components) {
  const resolved = schema && schema.$ref ? components[schema.$ref.split("/").pop()] : schema;
  return resolved && resolved.properties ? Object.entries(resolved.properties) : [];
}

async function renderApi() {
  const got = await fetch("/openapi.json").then((r) => r.json());
  const components = got.components.schemas;
  const box = $("api-operations");
  for (const [path, methods] of Object.entries(got.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      state.routes.push(op.operationId);
      const body = op.requestBody ? op.requestBody.content["application/json"].schema : null;
      const fields = fieldsOf(body, components).map(([name, schema]) =>
        el("li", {}, el("code", { text: name }), ` ${schema.description || schema.type || ""}`));
      const answers = Object.entries(op.responses).map(([status, answer]) =>
        el("li", {}, el("code", { text: status }), ` ${answer.description}`));
      box.append(el("article", { class: "operation" },
        el("h3", {}, el("code", { text: `${method.toUpperCase()} ${path}` }), ` ${op.summary}`),
        el("p", { text: op.description || "" }),
        el("h4", { text: "Request fields" }), el("ul", {}, ...fields),
        el("h4", { text: "Answers" }), el("ul", {}, ...answers)));
    }
  }
  $("fault-route").replaceChildren(...state.routes.map((r) => el("option", { value: r, text: r === "*" ? "* (all)" : r })));
  const rows = (await fetch(`${ADMIN}/ui/derivation.md`).then((r) => r.text()))
    .split("\n").filter((line) => line.startsWith("|") && !/^\|[\s:|-]+\|$/.test(line));
  $("derivation").replaceChildren(...rows.map((line, index) => el("tr", {},
    ...line.slice(1, -1).split("|").map((cell) => el(index ? "td" : "th", { text: cell.trim() })))));
}

async function create(event) {
  event.preventDefault();
  const body = { message: $("create-message").value };
  if (number("create-parent") !== undefined) body.parent_id = number("create-parent");
  const headers = { "Content-Type": "application/json" };
  if (state.session) headers["X-Mock-Session"] = state.session;
  if ($("create-user").value.trim()) headers["X-Mock-User"] = $("create-user").value.trim();
  const answer = await fetch(`/conversations/${number("create-conversation")}/messages`, {
    method: "POST", headers, body: JSON.stringify(body),
  });
  $("create-answer").textContent = `${answer.status}\n${await answer.text()}`;
  refreshAll();
}

// -- start -------------------------------------------------------------------------------------

function refreshAll() {
  refreshThreads();
  refreshJournal();
  refreshClock();
}

function every(ms, task) {
  const run = async () => {
    try {
      await task();
    } catch (error) {
      say(`The fake did not answer: ${error.message}`);
    }
    setTimeout(run, ms);
  };
  run();
}

document.addEventListener("DOMContentLoaded", () => {
  $("session").addEventListener("change", () => {
    state.session = $("session").value;
    state.journal = [];
    loadRules();
    refreshAll();
  });
  $("journal-status").addEventListener("change", renderJournal);
  $("journal-conversation").addEventListener("input", renderJournal);
  $("fault-form").addEventListener("submit", addRule);
  $("seed-form").addEventListener("submit", seed);
  $("clock-form").addEventListener("submit", clock);
  $("reset-form").addEventListener("submit", reset);
  $("create-form").addEventListener("submit", create);
  renderApi();
  loadRules();
  every(POLL_JOURNAL_MS, refreshJournal);
  every(POLL_STATE_MS, refreshThreads);
  every(POLL_STATE_MS, refreshClock);
  every(3 * POLL_STATE_MS, refreshSessions);
  every(POLL_STATE_MS, refreshWatch);
});
