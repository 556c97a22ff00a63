// taskcenter console: a small single-page app over the native API.
// Routes live in the hash (#/tasks?..., #/task/ID, #/instances); the token
// is kept in sessionStorage and sent as a bearer token. EventSource cannot
// send that header, so the event stream is opened with a single-use ticket
// (POST /api/v1/events/tickets), never with the token in the URL.
"use strict";

const STATUSES = ["WAITING", "INITIAL", "RUNNING", "PAUSED", "SUCCEED", "FAILED", "KILLED"];
const LIVE = new Set(["WAITING", "INITIAL", "RUNNING", "PAUSED"]);
const state = { token: sessionStorage.getItem("tc.token") || "", who: null, tenant: sessionStorage.getItem("tc.tenant") || "", stream: null, onChange: null };
const $ = (sel, root = document) => root.querySelector(sel);

// el builds an element: el("a", {href: "#"}, "text", child...).
function el(tag, attrs = {}, ...children) {
  const svg = ["svg", "rect", "path", "line", "text", "g", "circle", "title", "polyline"].includes(tag);
  const e = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function api(path, opts = {}) {
  const res = await fetch(path, { ...opts, headers: { "Authorization": "Bearer " + state.token, ...(opts.body ? { "Content-Type": "application/json" } : {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((body.error && body.error.message) || res.statusText);
    err.status = res.status;
    throw err;
  }
  return body;
}

// tenantQuery scopes a call: admins name the tenant they chose (or none: all tenants).
function withTenant(params) {
  const p = new URLSearchParams(params);
  if (state.who && state.who.role === "admin" && state.tenant) p.set("tenant", state.tenant);
  return p;
}

const canAct = () => state.who && (state.who.role === "operator" || state.who.role === "admin");

function toast(text, bad) {
  const t = $("#toast");
  t.textContent = text;
  t.className = "toast show" + (bad ? " bad" : "");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.className = "toast"), 4000);
}

function fmtTime(s) {
  if (!s) return "—";
  const d = new Date(s);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function fmtDuration(ms) {
  if (ms < 0 || !isFinite(ms)) return "";
  const s = Math.round(ms / 1000);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
}

const badge = (status) => el("span", { class: "badge s-" + status.toLowerCase(), "data-status": status }, status);

function bar(task) {
  const live = task.status === "RUNNING" || task.status === "PAUSED";
  return el("div", { class: "bar" + (live ? " live" : "") + " b-" + task.status.toLowerCase(), role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": task.progress, "aria-label": `Task ${task.id} progress`, "data-task-id": task.id },
    el("span", { style: `width:${task.progress}%` }), el("em", {}, task.progress + "%"));
}

function updateBar(b, status, progress) {
  b.setAttribute("aria-valuenow", progress);
  b.className = "bar" + (status === "RUNNING" || status === "PAUSED" ? " live" : "") + " b-" + status.toLowerCase();
  $("span", b).style.width = progress + "%";
  $("em", b).textContent = progress + "%";
}

// --- operator actions -----------------------------------------------------

function confirmDialog(text, verb) {
  const d = $("#confirm");
  $("#confirm-title").textContent = verb[0].toUpperCase() + verb.slice(1) + " task?";
  $("#confirm-text").textContent = text;
  $("#confirm-yes").textContent = verb[0].toUpperCase() + verb.slice(1);
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true });
    d.returnValue = "cancel";
    d.showModal();
    $("#confirm-no").focus();
  });
}

function actions(task, after) {
  if (!canAct()) return null;
  const verbs = [];
  if (!["SUCCEED", "FAILED", "KILLED", "REMOVED"].includes(task.status)) verbs.push("cancel");
  if (["WAITING", "INITIAL", "RUNNING"].includes(task.status)) verbs.push("pause");
  if (task.status === "PAUSED") verbs.push("resume");
  return el("div", { class: "actions" }, verbs.map((v) => el("button", {
    type: "button", class: v === "cancel" ? "small danger-ghost" : "small", "data-action": v, "data-task-id": task.id,
    on: { click: async () => {
      const running = task.status === "RUNNING";
      const what = {
        cancel: running ? "Its worker is asked to stop at its next heartbeat; the task becomes KILLED once the worker has stopped or its lease has run out." : "It will be KILLED at once.",
        pause: running ? "Its worker is asked to stop at its next heartbeat; the task becomes PAUSED once the worker has stopped, and leaves its instances' queues until resumed." : "It stops and leaves its instances' queues until resumed.",
        resume: "It queues again at its place.",
      }[v];
      if (!(await confirmDialog(`Task ${task.id} (${task.type} on ${task.instance_ids.join(", ")}): ${what}`, v))) return;
      try {
        const t = await api(`/api/v1/tasks/${task.id}/${v}?` + withTenant({ tenant: task.tenant }), { method: "POST" });
        toast(t.status === "RUNNING" && (t.cancel_requested || t.pause_requested)
          ? `Task ${t.id}: ${t.cancel_requested ? "cancel" : "pause"} requested; its worker stops at its next heartbeat`
          : `Task ${t.id} is ${t.status}`);
        after(t);
      } catch (e) { toast(e.message, true); }
    } },
  }, v[0].toUpperCase() + v.slice(1))));
}

// --- live changes -----------------------------------------------------------

// connectStream opens the event stream with a fresh ticket. A ticket opens
// one stream only, so EventSource's own reconnect (same URL) cannot work:
// on an error the stream is closed and opened again with a new ticket,
// resuming after the last change seen.
async function connectStream() {
  if (state.stream) state.stream.close();
  clearTimeout(connectStream.retry);
  const gen = (connectStream.gen = (connectStream.gen || 0) + 1);
  let ticket;
  try {
    ticket = (await api("/api/v1/events/tickets?" + withTenant({}), { method: "POST" })).ticket;
  } catch (e) {
    document.body.classList.remove("connected");
    if (e.status !== 401) connectStream.retry = setTimeout(connectStream, 3000);
    return;
  }
  if (gen !== connectStream.gen) return; // a newer connect has started meanwhile
  const p = withTenant({ ticket });
  if (state.lastEventId) p.set("last_event_id", state.lastEventId);
  const es = new EventSource("/api/v1/events?" + p);
  es.addEventListener("task", (m) => {
    state.lastEventId = m.lastEventId;
    if (state.onChange) state.onChange(JSON.parse(m.data));
  });
  // Too far behind to replay: reload the page's data and follow anew.
  es.addEventListener("reset", () => { es.close(); state.lastEventId = ""; route(); connectStream(); });
  es.onopen = () => document.body.classList.add("connected");
  es.onerror = () => {
    document.body.classList.remove("connected");
    es.close();
    if (state.stream === es) connectStream.retry = setTimeout(connectStream, 2000);
  };
  state.stream = es;
}

// --- tasks list -------------------------------------------------------------

function parseHash() {
  const [path, q] = location.hash.slice(1).split("?");
  return { path: path || "/tasks", q: new URLSearchParams(q || "") };
}

function localInput(rfc) {
  if (!rfc) return "";
  const d = new Date(rfc);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

async function tasksView(q) {
  const view = $("#view");
  const cursors = (q.get("cursors") || "").split(",").filter(Boolean);
  const cursor = cursors[cursors.length - 1] || "";
  const filters = {};
  for (const k of ["instance_id", "type", "status", "async_request_id", "created_after", "created_before"]) if (q.get(k)) filters[k] = q.get(k);
  const go = (f, cs = []) => {
    const p = new URLSearchParams(f);
    if (cs.length) p.set("cursors", cs.join(","));
    location.hash = "#/tasks?" + p;
  };

  const [list, counts, types] = await Promise.all([
    api("/api/v1/tasks?" + withTenant({ ...filters, limit: 20, ...(cursor ? { cursor } : {}) })),
    api("/api/v1/tasks/counts?" + withTenant({})),
    api("/api/v1/types").catch(() => ({ types: [] })),
  ]);

  const field = (label, input) => el("label", { class: "field" }, el("span", {}, label), input);
  const typeSel = el("select", { name: "type" }, el("option", { value: "" }, "Any type"), types.types.map((t) => el("option", { value: t.key, selected: t.key === filters.type }, t.key)));
  const statusSel = el("select", { name: "status" }, el("option", { value: "" }, "Any status"), STATUSES.map((s) => el("option", { value: s, selected: s === filters.status }, s)));
  const form = el("form", { class: "filters", "aria-label": "Filters", on: { submit: (ev) => {
    ev.preventDefault();
    const f = {};
    for (const [k, v] of new FormData(form)) if (v) f[k] = k.startsWith("created_") ? new Date(v).toISOString() : v.trim();
    go(f);
  } } },
  field("Instance", el("input", { name: "instance_id", value: filters.instance_id || "", placeholder: "cdb-…", autocomplete: "off" })),
  field("Type", typeSel),
  field("Status", statusSel),
  field("Created after", el("input", { type: "datetime-local", name: "created_after", value: localInput(filters.created_after) })),
  field("Created before", el("input", { type: "datetime-local", name: "created_before", value: localInput(filters.created_before) })),
  field("Async request id", el("input", { name: "async_request_id", value: filters.async_request_id || "", autocomplete: "off" })),
  el("div", { class: "filter-buttons" },
    el("button", { type: "submit", class: "primary", id: "apply" }, "Apply"),
    el("button", { type: "button", class: "secondary", on: { click: () => go({}) } }, "Clear")));

  const chips = el("div", { class: "counts", role: "group", "aria-label": "Tasks per status" },
    el("button", { type: "button", class: "count", "data-status": "", "aria-pressed": String(!filters.status), on: { click: () => { const f = { ...filters }; delete f.status; go(f); } } },
      el("span", { class: "label" }, "All"), el("span", { class: "n" }, counts.total)),
    STATUSES.map((s) => el("button", { type: "button", class: "count c-" + s.toLowerCase(), "data-status": s, "aria-pressed": String(filters.status === s), on: { click: () => go({ ...filters, status: s }) } },
      el("span", { class: "label" }, s), el("span", { class: "n" }, counts.counts[s] || 0))));

  const rows = list.tasks.map((t) => taskRow(t));
  const table = el("table", { class: "tasks" },
    el("thead", {}, el("tr", {}, ["ID", "Type", "Instances", "Status", "Progress", "Created", "Duration", "Result", ""].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: 9, class: "empty" }, "No task matches these filters."))));

  const pager = el("nav", { class: "pager", "aria-label": "Pages" },
    el("button", { type: "button", class: "secondary", disabled: !cursors.length, on: { click: () => go(filters, cursors.slice(0, -1)) } }, "← Newer"),
    el("span", { class: "muted" }, `Page ${cursors.length + 1}`),
    el("button", { type: "button", class: "secondary", id: "next-page", disabled: !list.next_cursor, on: { click: () => go(filters, [...cursors, list.next_cursor]) } }, "Older →"));

  view.replaceChildren(
    el("div", { class: "head" }, el("h1", {}, "Tasks"), el("p", { class: "total" }, el("strong", { id: "total" }, list.total), list.total === 1 ? " task" : " tasks", Object.keys(filters).length ? " match" : "", el("span", { class: "live-dot", title: "Live" }))),
    form, chips, el("div", { class: "table-wrap" }, table), pager);

  let reload = null;
  const refreshCounts = () => api("/api/v1/tasks/counts?" + withTenant({})).then((c) => {
    $('.count[data-status=""] .n', chips).textContent = c.total;
    for (const s of STATUSES) $(`.count[data-status="${s}"] .n`, chips).textContent = c.counts[s] || 0;
  }).catch(() => {});
  state.onChange = (c) => {
    const row = $(`tr[data-task-id="${c.task.id}"]`, table);
    if (row) row.replaceWith(taskRow({ ...c.task, status: c.to, progress: c.progress }));
    if (c.from !== c.to) refreshCounts();
    if (!row && !c.from && !cursor) { clearTimeout(reload); reload = setTimeout(route, 400); }
  };
}

function taskRow(t) {
  const failed = t.status === "FAILED" || (t.status === "KILLED" && t.code);
  const ended = t.ended_at ? new Date(t.ended_at) : (t.started_at ? new Date() : null);
  return el("tr", { "data-task-id": t.id, "data-status": t.status },
    el("td", { class: "id" }, el("a", { href: `#/task/${t.id}` + (t.tenant ? `?tenant=${encodeURIComponent(t.tenant)}` : "") }, t.id)),
    el("td", {}, t.type),
    el("td", { class: "mono" }, t.instance_ids.map((i) => el("a", { href: "#/tasks?instance_id=" + encodeURIComponent(i) }, i)).reduce((a, x) => (a.length ? [...a, ", ", x] : [x]), [])),
    el("td", {}, badge(t.status)),
    el("td", { class: "progress" }, bar(t)),
    el("td", { class: "time" }, fmtTime(t.created_at)),
    el("td", { class: "time" }, t.started_at ? fmtDuration(ended - new Date(t.started_at)) : "—"),
    el("td", { class: "result" + (failed ? " failed" : "") }, failed ? [el("code", {}, t.code), " ", t.message] : t.message),
    el("td", {}, actions(t, () => route())));
}

// --- one task ----------------------------------------------------------------

// history reads a task's events page by page, up to HISTORY_MAX of them: a
// chatty task's whole history would not fit a chart anyway.
const HISTORY_MAX = 10000;
async function history(id, tq) {
  const events = [];
  let cursor = "";
  do {
    const p = new URLSearchParams(tq);
    p.set("limit", "1000");
    if (cursor) p.set("cursor", cursor);
    const page = await api(`/api/v1/tasks/${id}/events?` + p);
    events.push(...page.events);
    cursor = page.next_cursor;
  } while (cursor && events.length < HISTORY_MAX);
  return events;
}

async function taskView(id, q) {
  const tq = withTenant(q.get("tenant") && state.who.role === "admin" ? { tenant: q.get("tenant") } : {});
  const [task, events] = await Promise.all([api(`/api/v1/tasks/${id}?` + tq), history(id, tq)]);
  const render = (t) => {
    const kv = (k, v) => [el("dt", {}, k), el("dd", {}, v)];
    const failed = t.status === "FAILED" || (t.status === "KILLED" && t.code);
    $("#view").replaceChildren(...[
      el("p", { class: "crumbs" }, el("a", { href: "#/tasks" }, "← Tasks")),
      el("div", { class: "head" }, el("h1", {}, `Task ${t.id} `, el("span", { class: "muted" }, t.type)), badge(t.status), actions(t, (nt) => render(nt))),
      el("div", { class: "task-progress" }, bar(t), el("span", { class: "msg", id: "task-message" }, t.message)),
      failed ? el("div", { class: "alert", role: "alert" }, el("strong", {}, `Failed with code ${t.code}`), " ", t.message) : null,
      el("div", { class: "grid" },
        el("section", { class: "card" }, el("h2", {}, "Fields"), el("dl", {},
          kv("Tenant", t.tenant), kv("Instances", t.instance_ids.map((i) => el("a", { class: "mono", href: "#/tasks?instance_id=" + encodeURIComponent(i) }, i + " "))),
          kv("Async request id", t.async_request_id || "—"), kv("Created", fmtTime(t.created_at)), kv("Started", fmtTime(t.started_at)),
          kv("Ended", fmtTime(t.ended_at)), kv("Attempts", `${t.attempts} of ${t.max_attempts}`), kv("Timeout", fmtDuration(t.timeout_seconds * 1000)),
          kv("Code", String(t.code)), kv("Run after", fmtTime(t.run_after)))),
        el("section", { class: "card" }, el("h2", {}, "Context"), el("pre", { class: "json" }, JSON.stringify(t.context, null, 2)),
          el("h2", {}, "Attach info"), t.attach_info.length ? el("table", { class: "kv" }, el("tbody", {}, t.attach_info.map((a) => el("tr", {}, el("th", { scope: "row" }, a.key), el("td", {}, a.value))))) : el("p", { class: "muted" }, "None."))),
      el("section", { class: "card" }, el("h2", {}, "Timeline"), chart(t, events),
        el("table", { class: "events" }, el("thead", {}, el("tr", {}, ["At", "Change", "Progress", "Message", "By"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, events.slice().reverse().map((e) => el("tr", {}, el("td", { class: "time" }, fmtTime(e.at)),
            el("td", {}, e.from && e.from !== e.to ? [badge(e.from), " → ", badge(e.to)] : badge(e.to)), el("td", {}, e.progress + "%"), el("td", {}, e.message), el("td", { class: "mono" }, e.actor))))))].filter(Boolean));
  };
  render(task);
  state.onChange = (c) => {
    if (c.task.id !== task.id) return;
    if (events.some((e) => e.seq === c.seq)) return; // read with the history already
    events.push({ seq: c.seq, at: c.at, from: c.from, to: c.to, progress: c.progress, message: c.message, actor: c.actor });
    render({ ...c.task, status: c.to, progress: c.progress });
  };
}

// chart draws progress over time as a line, over bands coloured by status.
function chart(task, events) {
  const W = 1000, H = 220, L = 44, R = 12, T = 12, B = 28;
  if (!events.length) return el("p", { class: "muted" }, "No history.");
  const t0 = new Date(events[0].at).getTime();
  const end = task.ended_at ? new Date(task.ended_at).getTime() : Math.max(Date.now(), new Date(events[events.length - 1].at).getTime());
  const span = Math.max(end - t0, 1000);
  const x = (ms) => L + ((ms - t0) / span) * (W - L - R);
  const y = (p) => T + (1 - p / 100) * (H - T - B);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `Progress of task ${task.id} over time` });
  events.forEach((e, i) => {
    const a = new Date(e.at).getTime(), b = i + 1 < events.length ? new Date(events[i + 1].at).getTime() : end;
    svg.append(el("rect", { class: "band s-" + e.to.toLowerCase(), x: x(a), y: T, width: Math.max(x(b) - x(a), 1), height: H - T - B }, el("title", {}, `${e.to} from ${fmtTime(e.at)}`)));
  });
  for (const p of [0, 50, 100]) svg.append(el("line", { class: "grid", x1: L, x2: W - R, y1: y(p), y2: y(p) }), el("text", { class: "axis", x: L - 6, y: y(p) + 4, "text-anchor": "end" }, p + "%"));
  const pts = [];
  events.forEach((e, i) => {
    const a = new Date(e.at).getTime();
    if (i > 0) pts.push(`${x(a)},${y(events[i - 1].progress)}`);
    pts.push(`${x(a)},${y(e.progress)}`);
  });
  pts.push(`${x(end)},${y(events[events.length - 1].progress)}`);
  svg.append(el("polyline", { class: "line", points: pts.join(" ") }));
  events.forEach((e) => svg.append(el("circle", { class: "dot", cx: x(new Date(e.at).getTime()), cy: y(e.progress), r: 3.5 }, el("title", {}, `${fmtTime(e.at)} ${e.to} ${e.progress}% ${e.message}`))));
  svg.append(el("text", { class: "axis", x: L, y: H - 8 }, fmtTime(events[0].at)), el("text", { class: "axis", x: W - R, y: H - 8, "text-anchor": "end" }, task.ended_at ? fmtTime(task.ended_at) : "now"));
  const legend = el("div", { class: "legend" }, [...new Set(events.map((e) => e.to))].map((s) => el("span", { class: "key s-" + s.toLowerCase() }, s)));
  return el("div", { class: "chart-wrap" }, svg, legend);
}

// --- instances ---------------------------------------------------------------

// INSTANCES_PAGE is the instances a page shows; each card reads its tasks.
const INSTANCES_PAGE = 24;

async function instancesView(q) {
  const cursors = (q.get("cursors") || "").split(",").filter(Boolean);
  const cursor = cursors[cursors.length - 1] || "";
  const go = (cs) => { location.hash = "#/instances" + (cs.length ? "?" + new URLSearchParams({ cursors: cs.join(",") }) : ""); };
  const list = await api("/api/v1/instances?" + withTenant({ limit: INSTANCES_PAGE, ...(cursor ? { cursor } : {}) }));
  const cards = await Promise.all(list.instances.map(async (inst) => {
    const p = { instance_id: inst.id, limit: 5 };
    if (state.who.role === "admin") p.tenant = inst.tenant;
    const [running, recent] = await Promise.all([api("/api/v1/tasks?" + new URLSearchParams({ ...p, status: "RUNNING" })), api("/api/v1/tasks?" + new URLSearchParams(p))]);
    const line = (t) => el("li", { "data-task-id": t.id }, el("a", { href: `#/task/${t.id}?tenant=${encodeURIComponent(t.tenant)}` }, `#${t.id}`), " ", el("span", { class: "type" }, t.type), badge(t.status), t.status === "RUNNING" ? bar(t) : el("span", { class: "muted time" }, fmtTime(t.created_at)));
    return el("section", { class: "card instance", "data-instance-id": inst.id },
      el("h2", {}, el("a", { href: "#/tasks?instance_id=" + encodeURIComponent(inst.id), class: "mono" }, inst.id), " ", el("span", { class: "muted" }, inst.name)),
      el("p", { class: "muted small" }, [inst.engine, inst.region, inst.status, state.who.role === "admin" ? inst.tenant : null].filter(Boolean).join(" · ")),
      el("h3", {}, `Running (${running.total})`), running.tasks.length ? el("ul", { class: "mini" }, running.tasks.map(line)) : el("p", { class: "muted small" }, "Nothing running."),
      el("h3", {}, `Recent (${recent.total} in all)`), recent.tasks.length ? el("ul", { class: "mini" }, recent.tasks.map(line)) : el("p", { class: "muted small" }, "No task yet."));
  }));
  const paged = cursors.length > 0 || Boolean(list.next_cursor);
  const shown = el("p", { class: "total" }, el("strong", { id: "instances-shown" }, list.instances.length), list.instances.length === 1 ? " instance" : " instances", paged ? ` on page ${cursors.length + 1}` : "");
  const pager = paged ? el("nav", { class: "pager", "aria-label": "Pages" },
    el("button", { type: "button", class: "secondary", disabled: !cursors.length, on: { click: () => go(cursors.slice(0, -1)) } }, "← Previous"),
    el("span", { class: "muted" }, `Page ${cursors.length + 1}`),
    el("button", { type: "button", class: "secondary", id: "next-instances", disabled: !list.next_cursor, on: { click: () => go([...cursors, list.next_cursor]) } }, "Next →")) : null;
  $("#view").replaceChildren(el("div", { class: "head" }, el("h1", {}, "Instances"), shown),
    cards.length ? el("div", { class: "instances" }, cards) : el("p", { class: "muted" }, "No instance yet."), ...(pager ? [pager] : []));
  state.onChange = (c) => {
    for (const b of document.querySelectorAll(`.bar[data-task-id="${c.task.id}"]`)) updateBar(b, c.to, c.progress);
    if (c.from !== c.to) { clearTimeout(instancesView.t); instancesView.t = setTimeout(route, 400); }
  };
}

// --- shell -------------------------------------------------------------------

async function route() {
  if (!state.who) return;
  const { path, q } = parseHash();
  // A view draws data it read before changes that arrive while it loads:
  // keep those and hand them to the view once it listens, or it would show
  // them only at the next change of the same task.
  const pending = [];
  const buffer = (c) => pending.push(c);
  state.onChange = buffer;
  for (const a of document.querySelectorAll("nav a")) a.removeAttribute("aria-current");
  try {
    if (path.startsWith("/task/")) { $("#nav-tasks").setAttribute("aria-current", "page"); await taskView(Number(path.slice(6)), q); }
    else if (path === "/instances") { $("#nav-instances").setAttribute("aria-current", "page"); await instancesView(q); }
    else { $("#nav-tasks").setAttribute("aria-current", "page"); await tasksView(q); }
    const handler = state.onChange;
    if (handler && handler !== buffer) for (const c of pending) handler(c);
    document.title = "taskcenter · " + ($("h1", $("#view"))?.textContent || "");
  } catch (e) {
    if (e.status === 401) return signOut();
    $("#view").replaceChildren(el("div", { class: "alert", role: "alert" }, e.message));
  }
}

async function signIn(token) {
  state.token = token;
  const who = await api("/api/v1/whoami");
  state.who = who;
  sessionStorage.setItem("tc.token", token);
  $("#signin").hidden = true;
  $("#top").hidden = false;
  $("#role").textContent = who.role;
  $("#role").dataset.role = who.role;
  $("#tenant-pick").hidden = who.role !== "admin";
  $("#tenant-name").textContent = who.role === "admin" ? "" : who.tenant;
  $("#tenant").value = state.tenant;
  document.body.dataset.role = who.role;
  state.lastEventId = "";
  connectStream();
  await route();
}

function signOut() {
  sessionStorage.removeItem("tc.token");
  state.token = ""; state.who = null; state.onChange = null; state.lastEventId = "";
  clearTimeout(connectStream.retry);
  connectStream.gen = (connectStream.gen || 0) + 1; // a connect under way gives up
  if (state.stream) state.stream.close();
  state.stream = null;
  $("#top").hidden = true;
  $("#view").replaceChildren();
  $("#signin").hidden = false;
  $("#token").value = "";
  $("#token").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#signin-error").textContent = "";
    try { await signIn($("#token").value.trim()); } catch (e) { state.token = ""; $("#signin-error").textContent = e.status === 401 ? "That token is not valid." : e.message; }
  });
  $("#signout").addEventListener("click", signOut);
  $("#tenant").addEventListener("change", () => {
    state.tenant = $("#tenant").value.trim();
    sessionStorage.setItem("tc.tenant", state.tenant);
    state.lastEventId = ""; // another tenant's changes: follow from now
    connectStream();
    location.hash = "#/tasks";
    route();
  });
  window.addEventListener("hashchange", route);
  if (state.token) signIn(state.token).catch(signOut); else signOut();
});
