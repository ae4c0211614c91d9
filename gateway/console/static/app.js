// The console: a hash router and one function per page. Pages: dashboard (drill-down State →
// District → Block → SHGs), My Task (Block Program Managers), tickets, request search.
import * as api from "./api.js";
import { claims, completeLogin, login, logout } from "./auth.js";
import { barChart, placeBars, waterfall } from "./charts.js";
import { h } from "./dom.js";
import { lang, setLang, t } from "./i18n.js";

const HELPDESK = ["NATIONAL_HELPDESK_AGENT", "NATIONAL_HELPDESK_LEAD", "STATE_HELPDESK_CONTACT",
  "STATE_ADMIN", "STATE_PROGRAM_MANAGER"];
const AGENTS = ["NATIONAL_HELPDESK_AGENT", "NATIONAL_HELPDESK_LEAD"];
const CHECKERS = ["BLOCK_PROGRAM_MANAGER"];
const DASHBOARD = ["NATIONAL_ADMIN", "NATIONAL_PROGRAM_MANAGER", "NATIONAL_THEMATIC", "STATE_ADMIN",
  "STATE_PROGRAM_MANAGER", "STATE_THEMATIC", "DISTRICT_ADMIN", "DISTRICT_PROGRAM_MANAGER",
  "DISTRICT_THEMATIC", "BLOCK_ADMIN", "BLOCK_PROGRAM_MANAGER", "BLOCK_THEMATIC"];
const CATEGORIES = ["login", "user_management", "profile", "duplicate", "meeting", "loan", "report",
  "data_migration", "other"];
const SEVERITIES = ["critical", "high", "medium", "low"];

const main = () => document.getElementById("main");
const roles = () => new Set(claims()?.realm_access?.roles || []);
const has = (list) => list.some((r) => roles().has(r));

function pages() {
  const out = [];
  if (has(DASHBOARD)) out.push(["dashboard", t("dashboard")]);
  if (has(CHECKERS)) out.push(["mytask", t("mytask")]);
  if (has(HELPDESK)) out.push(["tickets", t("tickets")], ["search", t("search")]);
  return out;
}

// Each page renders into its own view: a slow page's late answer lands in a detached view,
// never over the page the person has moved on to.
function show(view, ...nodes) {
  view.replaceChildren(...nodes);
  placeBars(view);
}

// A table wider than a phone scrolls sideways; keyboard users reach it too (tabindex).
function scroll(child) {
  return h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": t("scroll_table") }, child);
}

function failure(e) {
  return h("p", { class: "error", role: "alert" }, `${t("error")}: ${e.message}`);
}

function field(id, labelKey, control) {
  control.id = id;
  if (!control.name) control.name = id;
  return h("div", {}, h("label", { for: id }, t(labelKey)), control);
}

function select(options, value = "", withAll = false) {
  return h("select", {}, withAll ? h("option", { value: "" }, t("all")) : null,
    options.map((o) => h("option", { value: o, selected: o === value }, o)));
}

function renderNav(current) {
  const nav = document.getElementById("nav");
  nav.replaceChildren(...pages().map(([id, label]) =>
    h("a", { href: `#/${id}`, "aria-current": id === current ? "page" : undefined }, label)));
  document.getElementById("logout").hidden = !claims();
  document.getElementById("logout").textContent = t("signout");
  const other = lang() === "hi" ? "en" : "hi";
  const button = document.getElementById("lang");
  button.textContent = other === "hi" ? "हिंदी" : "English";
  button.lang = other;
}

// --- sign in --------------------------------------------------------------------------------

function signIn(params, view) {
  show(view, h("section", { class: "panel" },
    h("h1", {}, t("signin")),
    h("div", { class: "row" },
      h("button", { type: "button", id: "signin-state", onclick: () => login("state") }, t("signin_state")),
      h("button", { type: "button", id: "signin-national", class: "secondary", onclick: () => login("national") },
        t("signin_national")))));
}

// --- dashboard ------------------------------------------------------------------------------

// The three panels of the reports API (seeds/003 "BPM Login- Dashboard"), each value under
// the API's own field name; amounts are whole rupees.
const PANELS = [
  ["p-info", "panel_info", ["members", "sc_members", "st_members", "obc_members", "general_members", "other_members"]],
  ["p-bank", "panel_bank", ["with_bank_account", "without_bank_account", "without_bank_account_3_months",
    "without_bank_account_6_months"]],
  ["p-txn", "panel_txn", ["with_transactions", "without_transactions", "compulsory_savings", "voluntary_savings",
    "loan_outstanding"]],
];
const RUPEES = new Set(["compulsory_savings", "voluntary_savings", "loan_outstanding"]);
const PAGE_SIZES = [10, 25, 50, 100];
const number = (n) => new Intl.NumberFormat("en-IN").format(n);
const figure = (key, n) => (RUPEES.has(key) ? `₹ ${number(n)}` : number(n));

function unitName(u) {
  return (lang() === "hi" && u.name_local) || u.name_en || u.lgd_code;
}

// LGD code → name of the districts of the state or the blocks of a district. Names only
// dress the codes: a unit the geography does not list, or will not show her, keeps its code.
async function namesOf(level, parent = "") {
  try {
    return new Map((await api.units(level, parent)).map((u) => [u.lgd_code, unitName(u)]));
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 403) return new Map();
    throw e;
  }
}

function panels(p) {
  return h("div", { class: "panels" }, PANELS.map(([id, title, keys]) =>
    h("section", { class: "panel", "aria-labelledby": id },
      h("h2", { id }, t(title)),
      id === "p-info" ? [h("p", { class: "big", id: "shgs-formed" }, number(p.shgs_formed)),
        h("p", { class: "muted" }, t("shgs_formed"))] : null,
      h("dl", { class: "figures" }, keys.map((k) => [
        h("dt", {}, t(k)), h("dd", { id: `f-${k.replaceAll("_", "-")}` }, figure(k, p[k]))])))));
}

function freshnessLine(f) {
  const when = f.as_of ? new Date(f.as_of).toLocaleString(lang() === "hi" ? "hi-IN" : "en-IN") : "—";
  return h("p", { class: "muted", id: "freshness" }, `${t("as_of")}: ${when}`,
    f.pending_events ? ` · ${t("pending_events")}: ${number(f.pending_events)}` : "");
}

function downloads(place, reports) {
  const message = h("span", { role: "status" });
  const button = (report, format) => h("button", {
    type: "button", class: "secondary", id: `dl-${report}-${format}`,
    onclick: async () => {
      message.textContent = "";
      try { await api.downloadReport(report, place, format); } catch (e) { message.replaceChildren(failure(e)); }
    },
  }, `${t(`report_${report}`)} (${format.toUpperCase()})`);
  return h("section", { class: "panel", "aria-labelledby": "p-downloads" },
    h("h2", { id: "p-downloads" }, t("downloads")),
    h("div", { class: "row" }, reports.map((r) => [button(r, "csv"), button(r, "xlsx")])), message);
}

// The drill-down of a state or district: a chart and a table of the units one level below.
function unitTable(place, dd, names) {
  const level = dd.level;
  const label = t(level);
  const rows = dd.rows.map((r) => ({ ...r, label: r.name || names.get(r.code) || r.code || t("no_clf") }));
  const href = (r) => (level === "district" ? `#/dashboard?district=${r.code}`
    : level === "block" ? `#/dashboard?district=${place.district}&block=${r.code}` : null);
  const cols = ["shgs_formed", "members", "without_bank_account", "with_transactions"];
  return [
    h("section", { class: "panel", "aria-labelledby": "p-chart" },
      h("h2", { id: "p-chart" }, `${t("by_unit")} ${label}`),
      barChart(rows.map((r) => ({ label: r.label, value: r.panels.shgs_formed })), { label: `${t("by_unit")} ${label}` })),
    href(rows[0] || {}) === null ? null : h("section", { class: "panel", "aria-labelledby": "p-drill" },
      h("h2", { id: "p-drill" }, t("drill")),
      rows.length ? scroll(h("table", { id: "drill" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, label), cols.map((k) => h("th", { scope: "col", class: "num" }, t(k))))),
        h("tbody", {}, rows.map((r) => h("tr", { "data-code": r.code },
          h("td", {}, h("a", { href: href(r), "data-code": r.code }, r.label)),
          cols.map((k) => h("td", { class: "num" }, figure(k, r.panels[k])))))))) : h("p", {}, t("no_shgs"))),
  ];
}

// A block's SHGs, a page at a time (keyset pages: the next page's token comes with a page,
// earlier tokens are kept in the hash so Back and the "previous" link return to them).
async function shgList(place, params) {
  const size = PAGE_SIZES.includes(Number(params.get("size"))) ? Number(params.get("size")) : 25;
  const trail = (params.get("after") || "").split(",").filter(Boolean);
  const page = await api.shgsOfBlock(place, size, trail.at(-1) || "");
  const base = `#/dashboard?district=${place.district}&block=${place.block}&size=${size}`;
  const sizes = select(PAGE_SIZES.map(String), String(size));
  sizes.addEventListener("change", () => { location.hash = `#/dashboard?district=${place.district}&block=${place.block}&size=${sizes.value}`; });
  const cols = ["members", "compulsory_savings", "voluntary_savings", "loan_outstanding"];
  const first = size * trail.length + 1;
  return h("section", { class: "panel stacked", "aria-labelledby": "p-shgs" },
    h("h2", { id: "p-shgs" }, t("shg_list")),
    h("div", { class: "row" }, field("page-size", "page_size", sizes)),
    page.shgs.length ? [
      h("p", { id: "shg-range" }, `${t("showing")} ${first}–${first + page.shgs.length - 1}`),
      scroll(h("table", { id: "shgs" },
        h("thead", {}, h("tr", {}, ["name", "status", "bank_account", ...cols].map((k) => h("th", { scope: "col" }, t(k))))),
        h("tbody", {}, page.shgs.map((s) => h("tr", { "data-shg": s.shg_id },
          h("td", {}, s.name, h("div", { class: "muted" }, s.code || "")),
          h("td", {}, s.status),
          h("td", {}, s.has_bank_account ? t("yes") : t("no")),
          cols.map((k) => h("td", { class: "num" }, figure(k, s.panels[k]))))))))] : h("p", {}, t("no_shgs")),
    h("nav", { class: "pager", "aria-label": t("pages") },
      trail.length ? h("a", { id: "page-prev", href: trail.length > 1 ? `${base}&after=${trail.slice(0, -1).join(",")}` : base }, `← ${t("previous")}`) : null,
      page.next_page_token ? h("a", { id: "page-next", href: `${base}&after=${[...trail, page.next_page_token].join(",")}` }, `${t("next")} →`) : null));
}

async function dashboard(params, view) {
  const place = { district: params.get("district") || "", block: params.get("block") || "" };
  show(view, h("p", {}, t("loading")));
  const [d, dd, districts, blocks] = await Promise.all([
    api.dashboard(place),
    api.drillDown(place),
    namesOf("district"),
    place.district ? namesOf("block", place.district) : new Map(),
  ]);
  const crumbs = h("nav", { class: "crumbs", "aria-label": t("breadcrumb") },
    h("a", { href: "#/dashboard" }, t("state")),
    place.district ? ["›", h("a", { href: `#/dashboard?district=${place.district}` },
      `${t("district")} ${districts.get(place.district) || place.district}`)] : null,
    place.block ? ["›", h("span", {}, `${t("block")} ${blocks.get(place.block) || place.block}`)] : null);
  // A block: the chart of its SHGs by CLF, and its SHG list at full width below.
  const below = place.block
    ? [h("div", { class: "panels" }, unitTable(place, dd, new Map())), await shgList(place, params)]
    : [h("div", { class: "panels" }, unitTable(place, dd, place.district ? blocks : districts))];
  show(view, h("h1", {}, t("dashboard")), crumbs, freshnessLine(d.freshness), panels(d.panels), ...below,
    downloads(place, ["dashboard", place.block ? "shgs" : "drilldown"]));
}

// --- My Task --------------------------------------------------------------------------------

function flag(value) {
  const cls = { confirmed: "bad", potential: "warn", none: "ok" }[value] || "";
  return h("span", { class: `badge ${cls}` }, value || "—");
}

async function mytask(params, view) {
  const page = await api.myTask("member");
  const rows = page.items.map((item) => {
    const status = h("span", { role: "status" });
    const remark = h("input", { "aria-label": `${t("remarks")} ${item.name}`, maxlength: 8, size: 6 });
    const verified = h("input", { type: "checkbox", class: "verified", id: `v-${item.submission_id}` });
    return h("tr", { "data-submission": item.submission_id },
      h("td", {}, item.name, h("div", { class: "muted" }, item.code || "")),
      h("td", {}, flag(item.duplication)),
      h("td", {}, item.maker),
      h("td", {}, item.submitted_at ? new Date(item.submitted_at).toLocaleString() : ""),
      h("td", {},
        h("div", { class: "row" },
          h("span", {}, verified, " ", h("label", { for: verified.id, class: "inline" }, t("verified"))),
          h("button", { type: "button", class: "approve", onclick: async (ev) => {
            ev.target.disabled = true;
            try { await api.approve(item.submission_id, verified.checked); status.textContent = t("approved"); }
            catch (e) { status.textContent = e.message; ev.target.disabled = false; }
          } }, t("approve")),
          remark,
          h("button", { type: "button", class: "danger", onclick: async () => {
            try { await api.reject(item.submission_id, remark.value ? [remark.value] : []); status.textContent = t("rejected"); }
            catch (e) { status.textContent = e.message; }
          } }, t("reject"))),
        status));
  });
  show(view, h("h1", {}, t("mytask")),
    h("p", {}, `${t("pending")}: `, h("strong", { id: "pending-count" }, String(page.total))),
    rows.length ? scroll(h("table", {},
      h("thead", {}, h("tr", {}, ["name", "duplication", "maker", "submitted", "actions"].map((k) =>
        h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, rows))) : h("p", {}, t("none_pending")));
}

// --- tickets --------------------------------------------------------------------------------

function slaBadge(tk) {
  return tk.sla_breached ? h("span", { class: "badge bad" }, t("breached"))
    : h("span", { class: "badge ok" }, t("within_sla"));
}

async function ticketList(params, view) {
  const status = params.get("status") || "";
  const list = await api.tickets({ status, limit: 100 });
  const filter = select(["open", "assigned", "escalated", "resolved"], status, true);
  filter.addEventListener("change", () => { location.hash = `#/tickets?status=${filter.value}`; });
  const form = h("form", { id: "raise" },
    h("h2", {}, t("raise")),
    h("div", { class: "row" },
      field("t-title", "title", h("input", { required: true, maxlength: 200 })),
      field("t-category", "category", select(CATEGORIES, "other")),
      field("t-severity", "severity", select(SEVERITIES, "medium")),
      has(AGENTS) ? field("t-state", "state", h("input", { pattern: "[a-z]{2,16}", value: "up" })) : null),
    field("t-description", "description", h("textarea", { maxlength: 4000 })),
    h("div", { class: "row" },
      field("t-request", "request_id", h("input", { pattern: "[0-9a-fA-F]{32}" })),
      field("t-user", "user_id", h("input", { maxlength: 64 })),
      field("t-cbo", "cbo_code", h("input", { maxlength: 64 }))),
    h("p", {}, h("button", { type: "submit" }, t("raise"))));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = (id) => form.querySelector(`#${id}`)?.value || "";
    try {
      const tk = await api.raiseTicket({
        client_id: crypto.randomUUID ? crypto.randomUUID() : fallbackUuid(),
        title: v("t-title"), category: v("t-category"), severity: v("t-severity"),
        state: v("t-state"), description: v("t-description"),
        references: { request_id: v("t-request"), user_id: v("t-user"), cbo_code: v("t-cbo") },
      });
      location.hash = `#/ticket?id=${tk.id}`;
    } catch (e) { form.append(failure(e)); }
  });
  show(view, h("h1", {}, t("tickets")),
    h("div", { class: "row" }, field("status-filter", "status", filter),
      h("button", { type: "button", id: "report", class: "secondary", onclick: () => api.downloadTicketReport() },
        t("report"))),
    scroll(h("table", { id: "tickets" },
      h("thead", {}, h("tr", {}, ["ticket", "title", "state", "category", "severity", "status", "due"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, list.map((tk) => h("tr", {},
        h("td", {}, h("a", { href: `#/ticket?id=${tk.id}` }, `#${tk.id}`)),
        h("td", {}, tk.title), h("td", {}, tk.state), h("td", {}, tk.category),
        h("td", {}, tk.severity), h("td", {}, tk.status),
        h("td", {}, new Date(tk.due_at).toLocaleString(), " ", slaBadge(tk))))))),
    h("section", { class: "panel" }, form));
}

function fallbackUuid() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

async function ticketDetail(params, view) {
  const tk = await api.ticket(params.get("id"));
  const text = h("textarea", { maxlength: 4000 });
  const message = h("p", { role: "status" });
  const act = (action, extra = {}) => async () => {
    try {
      await api.actOnTicket(tk.id, { action, version: tk.version, text: text.value, ...extra });
      await ticketDetail(params, view);
    } catch (e) { message.replaceChildren(failure(e)); }
  };
  const buttons = [];
  const resolved = tk.status === "resolved";
  if (has(AGENTS) && !resolved) buttons.push(h("button", { type: "button", id: "act-assign", onclick: act("assign") }, t("assign_me")));
  buttons.push(h("button", { type: "button", id: "act-comment", class: "secondary", onclick: act("comment") }, t("comment")));
  if (!resolved) buttons.push(h("button", { type: "button", id: "act-escalate", class: "secondary", onclick: act("escalate") }, t("escalate")));
  if (has(AGENTS) && !resolved) buttons.push(h("button", { type: "button", id: "act-resolve", onclick: act("resolve") }, t("resolve")));
  if (resolved) buttons.push(h("button", { type: "button", id: "act-reopen", onclick: act("reopen") }, t("reopen")));
  const refs = tk.references;
  show(view, h("h1", {}, `${t("ticket")} #${tk.id}: ${tk.title}`),
    h("p", {}, h("span", { id: "ticket-status", class: "badge" }, tk.status), " ", slaBadge(tk), " ",
      `${tk.state} · ${tk.category} · ${tk.severity} · ${t("assignee")}: ${tk.assignee || "—"}`),
    h("p", {}, tk.description),
    h("h2", {}, t("references")),
    h("ul", {},
      refs.request_id ? h("li", {}, `${t("request_id")}: `, h("a", { href: `#/search?request_id=${refs.request_id}` }, refs.request_id)) : null,
      refs.submission_ref ? h("li", {}, `${t("submission_ref")}: ${refs.submission_ref}`) : null,
      refs.user_id ? h("li", {}, `${t("user_id")}: ${refs.user_id}`) : null,
      refs.cbo_code ? h("li", {}, `${t("cbo_code")}: ${refs.cbo_code}`) : null,
      tk.trace_ids.filter((x) => x !== refs.request_id).map((x) =>
        h("li", {}, h("a", { href: `#/search?request_id=${x}` }, x)))),
    h("section", { class: "panel" },
      field("action-text", "text", text),
      h("div", { class: "row" }, buttons), message),
    h("h2", {}, t("history")),
    h("ol", { id: "history" }, tk.history.map((e) =>
      h("li", {}, `${new Date(e.at).toLocaleString()} · ${e.actor} · ${e.action}`, e.text ? `: ${e.text}` : ""))));
}

// --- request search -------------------------------------------------------------------------

async function search(params, view) {
  const form = h("form", { id: "search-form" },
    h("div", { class: "row" },
      field("q-request", "request_id", h("input", { name: "request_id", value: params.get("request_id") || "" })),
      field("q-submission", "submission_ref", h("input", { name: "submission_ref", value: params.get("submission_ref") || "" })),
      field("q-user", "user_id", h("input", { name: "user_id", value: params.get("user_id") || "" })),
      field("q-cbo", "cbo_code", h("input", { name: "cbo_code", value: params.get("cbo_code") || "" }))),
    h("p", {}, h("button", { type: "submit" }, t("find"))));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const el of form.querySelectorAll("input")) if (el.value.trim()) q.set(el.name, el.value.trim());
    location.hash = `#/search?${q}`;
  });
  const out = h("div", { id: "results" });
  show(view, h("h1", {}, t("search")), h("section", { class: "panel" }, form), out);
  const query = Object.fromEntries([...params].filter(([, v]) => v));
  if (!Object.keys(query).length) return;
  try {
    if (query.request_id && Object.keys(query).length === 1) {
      const trace = await api.requestTrace(query.request_id.toLowerCase());
      out.replaceChildren(traceView(trace));
      placeBars(out);
      return;
    }
    const found = await api.searchRequests(query);
    out.replaceChildren(found.length ? scroll(h("table", {},
      h("thead", {}, h("tr", {}, ["request_id", "started", "service", "status", "duration", "user_id"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, found.map((r) => h("tr", {},
        h("td", {}, h("a", { href: `#/search?request_id=${r.request_id}` }, r.request_id)),
        h("td", {}, new Date(r.started_at).toLocaleString()),
        h("td", {}, r.name), h("td", {}, r.http_status || r.status),
        h("td", {}, r.duration_ms.toFixed(1)), h("td", {}, r.user_id)))))) : h("p", {}, t("no_results")));
  } catch (e) {
    out.replaceChildren(failure(e));
  }
}

function traceView(trace) {
  return h("section", { class: "panel", id: "trace" },
    h("h2", {}, `${t("timeline")}: ${trace.request_id}`),
    h("p", {}, trace.failed ? h("span", { class: "badge bad" }, t("failed")) : h("span", { class: "badge ok" }, t("ok")),
      ` ${new Date(trace.started_at).toLocaleString()} · ${trace.duration_ms.toFixed(1)} ms · `,
      `${t("hops")}: ${trace.hops.length} · ${trace.services.join(" → ")}`),
    waterfall(trace),
    trace.ticket_ids.length ? h("p", {}, `${t("linked_tickets")}: `,
      trace.ticket_ids.map((id) => [h("a", { href: `#/ticket?id=${id}` }, `#${id}`), " "])) : null);
}

// --- routing --------------------------------------------------------------------------------

const ROUTES = { dashboard, mytask, tickets: ticketList, ticket: ticketDetail, search };

async function route() {
  const [name, query] = (location.hash.replace(/^#\/?/, "") || "").split("?");
  const params = new URLSearchParams(query || "");
  const view = h("div");
  main().replaceChildren(view);
  if (!claims()) { renderNav(""); signIn(params, view); return; }
  const allowed = pages().map(([id]) => id);
  const page = ROUTES[name] && (allowed.includes(name) || name === "ticket") ? name : allowed[0];
  renderNav(page === "ticket" ? "tickets" : page);
  if (!page) { show(view, h("p", {}, t("error"))); return; }
  try {
    await ROUTES[page](params, view);
  } catch (e) {
    show(view, failure(e));
  }
}

async function start() {
  setLang(lang());
  document.getElementById("lang").addEventListener("click", () => {
    setLang(lang() === "hi" ? "en" : "hi");
    route();
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await logout();
    location.hash = "";
    route();
  });
  try {
    await completeLogin();
  } catch (e) {
    main().replaceChildren(failure(e));
    return;
  }
  window.addEventListener("hashchange", route);
  await route();
}

start();
