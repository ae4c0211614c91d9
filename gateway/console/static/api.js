// Every call the console makes to the gateway, in one place. The dashboard reads the reports
// service's read models (/v1/reports/...): the three panels, the drill-down one level below,
// a block's SHGs a page at a time, and the same as CSV or XLSX downloads.
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

// A place in the drill-down ({district, block}; empty: the caller's whole state) as the
// reports API's filter.
const filter = ({ district = "", block = "" } = {}) => ({ district_lgd_code: district, block_lgd_code: block });

// The three panels (SHGs information, bank status, transaction status) and their freshness.
export const dashboard = (place) => call("GET", "/reports/dashboard", { params: filter(place) });

// The panels of each unit one level below: districts of the state, blocks of a district,
// CLFs of a block (code "" gathers the SHGs under no CLF).
export const drillDown = (place) => call("GET", "/reports/dashboard/drill-down", { params: filter(place) });

// A page of a block's SHGs with their numbers; ``pageToken`` from the previous page.
export const shgsOfBlock = (place, pageSize, pageToken = "") =>
  call("GET", "/reports/shgs", { params: { ...filter(place), page_size: pageSize, page_token: pageToken } });

// Geography units, for the names of the districts and blocks the reports give by LGD code.
export async function units(level, parent = "") {
  const d = await call("GET", "/geography/units", { params: { level, parent_code: parent } });
  return d.units;
}

// A report of the reports API ("dashboard", "drilldown", "shgs") for one place as a file.
export const downloadReport = (report, place, format) =>
  download(`/reports/${report}/download`, { ...filter(place), format },
    `${report}-${place.block || place.district || "state"}.${format}`);

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
export const downloadTicketReport = () => download("/helpdesk/tickets/report.csv", {}, "helpdesk-tickets.csv");

// A file the API serves: fetched with the token (a plain link could not carry it), handed to
// the browser as a download. Headers come in the console's language.
async function download(path, params, filename) {
  const token = await accessToken();
  const url = new URL(`/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(params)) if (v) url.searchParams.set(k, v);
  const r = await fetch(url, { headers: { Authorization: `Bearer ${token}`, "Accept-Language": lang() } });
  if (!r.ok) {
    const type = r.headers.get("content-type") || "";
    throw new ApiError(r.status, type.includes("json") ? await r.json() : { detail: await r.text() });
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await r.blob());
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export const searchRequests = (params) => call("GET", "/helpdesk/requests", { params });
export const requestTrace = (id) => call("GET", `/helpdesk/requests/${id}`);
