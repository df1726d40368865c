// guestbook-js: a page (public/), an API over a KV namespace, and a variable.
//
// GET /api/entries    the title (env.TITLE) and the newest entries
// POST /api/entries   {"name": "...", "message": "..."}: signs the book (201), or 400 and why

const MAX_NAME = 40;
const MAX_MESSAGE = 500;
const SHOWN = 50;
const NEWEST_FIRST = 10 ** 13; // keys sort by this minus the time in ms: the newest first

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/api/entries") {
      return request.method === "POST" ? sign(request, env) : entries(env);
    }
    if (pathname.startsWith("/api/")) return Response.json({ error: "no such API" }, { status: 404 });
    return env.ASSETS.fetch(request);
  },
};

/** The title and the newest entries. */
async function entries(env) {
  const page = await env.ENTRIES.list({ prefix: "entry/", limit: SHOWN });
  const found = await Promise.all(page.keys.map((key) => env.ENTRIES.get(key.name, "json")));
  return Response.json({ title: env.TITLE, entries: found.filter(Boolean) });
}

/** Check the entry, store it, answer it (201). */
async function sign(request, env) {
  let asked;
  try {
    asked = await request.json();
  } catch {
    return Response.json({ error: 'send JSON: {"name": ..., "message": ...}' }, { status: 400 });
  }
  const name = String(asked?.name ?? "").trim();
  const message = String(asked?.message ?? "").trim();
  if (!(name.length >= 1 && name.length <= MAX_NAME && message.length >= 1 && message.length <= MAX_MESSAGE)) {
    const limits = `a name of 1 to ${MAX_NAME} characters and a message of 1 to ${MAX_MESSAGE}`;
    return Response.json({ error: `write ${limits}` }, { status: 400 });
  }
  const entry = { name, message, at: new Date().toISOString().replace(/\.\d+Z$/, "+00:00") };
  const random = [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const key = `entry/${String(NEWEST_FIRST - Date.now()).padStart(13, "0")}-${random}`;
  await env.ENTRIES.put(key, JSON.stringify(entry));
  return Response.json(entry, { status: 201 });
}
