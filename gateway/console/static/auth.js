// Login through the realm's own page: authorisation code with PKCE (RFC 7636), as a public
// client ("lokos-web"). Tokens live in sessionStorage: gone when the tab closes.
let config = null;

export async function loadConfig() {
  if (!config) config = await (await fetch("config.json")).json();
  return config;
}

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(n) {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return b64url(bytes);
}

// SHA-256 for pages opened over plain http on a LAN address (no crypto.subtle there).
function sha256Fallback(bytes) {
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const len = bytes.length;
  const total = ((len + 9 + 63) >> 6) << 6;
  const m = new Uint8Array(total);
  m.set(bytes);
  m[len] = 0x80;
  new DataView(m.buffer).setUint32(total - 4, len * 8);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < total; off += 64) {
    const dv = new DataView(m.buffer, off, 64);
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, H[i]);
  return out;
}

async function challengeOf(verifier) {
  const data = new TextEncoder().encode(verifier);
  if (crypto.subtle) return b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
  return b64url(sha256Fallback(data));
}

function redirectUri() {
  return `${location.origin}/console/`;
}

export async function login(entry) {
  const cfg = await loadConfig();
  const realm = cfg.realms[entry];
  const verifier = randomString(48);
  const state = randomString(16);
  // The page asked for (its hash) is where the person lands after the login.
  const back = location.hash;
  sessionStorage.setItem("lokos.pkce", JSON.stringify({ verifier, state, realm, back }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: cfg.client_id,
    redirect_uri: redirectUri(),
    scope: "openid",
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`${cfg.idp_url}/realms/${realm}/protocol/openid-connect/auth?${query}`);
}

async function tokenRequest(realm, form) {
  const cfg = await loadConfig();
  const r = await fetch(`${cfg.idp_url}/realms/${realm}/protocol/openid-connect/token`, {
    method: "POST",
    body: new URLSearchParams({ client_id: cfg.client_id, ...form }),
  });
  if (!r.ok) throw new Error(`login failed (${r.status})`);
  const body = await r.json();
  sessionStorage.setItem("lokos.session", JSON.stringify({
    realm, access: body.access_token, refresh: body.refresh_token,
    expires: Date.now() + (body.expires_in - 20) * 1000,
  }));
}

// Back from the login page with ?code=…: exchange it once, then clean the address bar.
export async function completeLogin() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return;
  const pending = JSON.parse(sessionStorage.getItem("lokos.pkce") || "null");
  sessionStorage.removeItem("lokos.pkce");
  if (!pending || params.get("state") !== pending.state) {
    history.replaceState(null, "", location.pathname);
    throw new Error("login state mismatch");
  }
  history.replaceState(null, "", location.pathname + (pending.back || ""));
  await tokenRequest(pending.realm, {
    grant_type: "authorization_code", code, redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
}

function session() {
  return JSON.parse(sessionStorage.getItem("lokos.session") || "null");
}

export async function accessToken() {
  const s = session();
  if (!s) return null;
  if (Date.now() > s.expires && s.refresh) {
    try {
      await tokenRequest(s.realm, { grant_type: "refresh_token", refresh_token: s.refresh });
    } catch {
      sessionStorage.removeItem("lokos.session");
      return null;
    }
    return session().access;
  }
  return s.access;
}

export function claims() {
  const s = session();
  if (!s) return null;
  const part = s.access.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const text = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
  return JSON.parse(text);
}

export async function logout() {
  const s = session();
  sessionStorage.removeItem("lokos.session");
  if (s && s.refresh) {
    const cfg = await loadConfig();
    await fetch(`${cfg.idp_url}/realms/${s.realm}/protocol/openid-connect/logout`, {
      method: "POST",
      body: new URLSearchParams({ client_id: cfg.client_id, refresh_token: s.refresh }),
    }).catch(() => {});
  }
}
