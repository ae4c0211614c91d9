// Every call the console makes to the gateway, in one place. The dashboard reads today's
// reports API (one count per call); when the reports service's drill-down endpoints arrive,
// only dashboardLevel() and shgsOfBlock() below change.
import { accessToken } from "./auth.js";
import { lang } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, path, { params, body } = {}) {
  const token = await accessToken();
  const url = new URL(`/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { "Accept-Language": lang() };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const type = r.headers.get("content-type") || "";
  const data = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw new ApiError(r.status, typeof data === "object" ? data : { detail: data });
  return data;
}

// --- dashboard ----------------------------------------------------------------------------

export async function shgsFormed(district = "", block = "") {
  const d = await call("GET", "/reports/dashboard", {
    params: { district_lgd_code: district, block_lgd_code: block },
  });
  return d.shgs_formed;
}

export async function units(level, parent = "") {
  const d = await call("GET", "/geography/units", { params: { level, parent_code: parent } });
  return d.units;
}

// A unit outside the caller's scope is refused (403): it is left out of her drill-down.
async function countOrNull(district, block) {
  try {
    return await shgsFormed(district, block);
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return null;
    throw e;
  }
}

// One level of the drill-down: the total and each child unit (within scope) with its count.
export async function dashboardLevel(district = "", block = "") {
  const total = await shgsFormed(district, block);
  if (block) return { total, children: [] };
  const level = district ? "block" : "district";
  const children = await units(level, district);
  const counts = await Promise.all(
    children.map((u) => (level === "district" ? countOrNull(u.lgd_code, "") : countOrNull(district, u.lgd_code))),
  );
  return {
    total,
    level,
    children: children
      .map((u, i) => ({ code: u.lgd_code, name: u.name_en, name_local: u.name_local, count: counts[i] }))
      .filter((c) => c.count !== null),
  };
}

// The SHGs of a block: not in today's reports API (null: the page says so).
export async function shgsOfBlock(block) {
  try {
    return await call("GET", "/reports/shgs", { params: { block_lgd_code: block } });
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

// --- My Task ------------------------------------------------------------------------------

export const myTask = (entityType = "member") =>
  call("GET", "/tasks", { params: { entity_type: entityType, limit: 50 } });
// ``verified``: the checker saw the member's documents; each identifier is then approved.
export const approve = (submissionId, verified) =>
  call("POST", `/submissions/${submissionId}/approve`, {
    body: {
      identifiers: verified
        ? ["mobile", "bank_account", "voter_id", "aadhaar"].map((identifier) => ({ identifier, status: "approved" }))
        : [],
    },
  });
export const reject = (submissionId, remarks) =>
  call("POST", `/submissions/${submissionId}/reject`, { body: { remarks } });

// --- help desk ----------------------------------------------------------------------------

export const tickets = (params) => call("GET", "/helpdesk/tickets", { params });
export const ticket = (id) => call("GET", `/helpdesk/tickets/${id}`);
export const raiseTicket = (body) => call("POST", "/helpdesk/tickets", { body });
export const actOnTicket = (id, body) => call("POST", `/helpdesk/tickets/${id}/actions`, { body });
// The ticket report as a file: fetched with the token, handed to the browser as a download.
export async function downloadTicketReport() {
  const token = await accessToken();
  const r = await fetch("/v1/helpdesk/tickets/report.csv", { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new ApiError(r.status, { detail: await r.text() });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await r.blob());
  link.download = "helpdesk-tickets.csv";
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export const searchRequests = (params) => call("GET", "/helpdesk/requests", { params });
export const requestTrace = (id) => call("GET", `/helpdesk/requests/${id}`);
