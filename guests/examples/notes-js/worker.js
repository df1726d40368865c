// notes-js: a small notes site. Notes are Markdown files among the static assets; the worker
// renders them to HTML pages and JSON, previews Markdown posted to it, and serves the rest of
// the site from the assets untouched.
//
//   GET  /notes/NAME       the note public/notes/NAME.md rendered into public/note.html
//   GET  /api/notes/NAME   the same note as JSON: { name, title, words, html }
//   POST /api/preview      { "markdown": "..." } -> { title, words, html }
//   anything else          the static assets, with an x-served-by header added

import { HttpError, json, readJson } from "./lib/http.js";
import { render } from "./lib/markdown.js";

const NOTE_NAME = /^[a-z0-9][a-z0-9-]*$/;

export default {
  async fetch(request, env, ctx) {
    let response;
    try {
      response = await route(request, env, new URL(request.url));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error; // a bug: the host answers 500, logs the stack
      response = json({ error: error.message }, error.status);
    }
    ctx.waitUntil(logRequest(request, response));
    return response;
  },
};

async function route(request, env, url) {
  const { pathname } = url;
  if (pathname === "/api/preview") {
    if (request.method !== "POST") throw new HttpError(405, "use POST with a JSON body");
    const { markdown } = await readJson(request);
    if (typeof markdown !== "string") throw new HttpError(400, '"markdown" must be a string');
    try {
      return json(render(markdown));
    } catch (error) {
      if (error instanceof SyntaxError) throw new HttpError(422, error.message);
      throw error;
    }
  }
  if (pathname.startsWith("/api/notes/")) {
    const name = pathname.slice("/api/notes/".length);
    const note = render(await loadNote(env, request, name));
    return json({ name, ...note }, 200, { "cache-control": "no-cache" });
  }
  if (pathname.startsWith("/notes/")) {
    const name = pathname.slice("/notes/".length);
    const note = render(await loadNote(env, request, name));
    const template = await env.ASSETS.fetch(new URL("/note", url)); // note.html
    const page = (await template.text())
      .replaceAll("{{title}}", escapeHtml(note.title))
      .replaceAll("{{words}}", String(note.words))
      .replaceAll("{{content}}", note.html);
    return new Response(page, {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
    });
  }
  // Everything else is a static file. Re-wrapping keeps the body in the host: the bytes are
  // passed through without entering the worker, only the headers change.
  const asset = await env.ASSETS.fetch(request);
  const response = new Response(asset.body, asset);
  response.headers.set("x-served-by", "notes-js");
  return response;
}

/** The Markdown source of a note, read from the assets; 404 if there is no such note. */
async function loadNote(env, request, name) {
  if (!NOTE_NAME.test(name)) throw new HttpError(404, `no note named ${JSON.stringify(name)}`);
  const asset = await env.ASSETS.fetch(new URL(`/notes/${name}.md`, request.url));
  if (asset.status === 404) throw new HttpError(404, `no note named ${JSON.stringify(name)}`);
  if (!asset.ok) throw new Error(`reading note ${name} gave status ${asset.status}`);
  return asset.text();
}

/** One log line per request, written after the response is ready (ctx.waitUntil). */
async function logRequest(request, response) {
  console.log(`${request.method} ${new URL(request.url).pathname} -> ${response.status}`);
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
