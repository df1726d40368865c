// Between the WIT `request`/`response` records and the platform's Request and Response.

import { bodyFromWit, bodyToWit } from "./bodies.js";

/** Statuses whose responses cannot have a body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const BODILESS_METHODS = new Set(["GET", "HEAD"]);

/**
 * The incoming WIT request as a Request. Its body stays in the host until read, and belongs
 * to `scope`.
 *
 * The platform's Request drops a `host` header (a "forbidden" name in browsers), but a Worker
 * can read it, so `request.headers` is replaced by a Headers holding every field as sent.
 */
export function requestFromWit(req, scope) {
  const init = { method: req.method, headers: req.headers };
  if (!BODILESS_METHODS.has(req.method.toUpperCase())) {
    const body = bodyFromWit(req.body, scope);
    if (body !== null) Object.assign(init, { body, duplex: "half" });
  }
  const request = new Request(req.url, init);
  if (req.headers.some(([name]) => name === "host")) {
    Object.defineProperty(request, "headers", { value: new Headers(req.headers) });
  }
  return request;
}

/** A Request -> a WIT request in `scope` (an untouched host body goes back as its handle). */
export async function requestToWit(request, scope) {
  const bodiless = BODILESS_METHODS.has(request.method);
  return {
    method: request.method,
    url: request.url,
    headers: [...request.headers],
    body: bodiless ? { tag: "empty" } : await bodyToWit(request.body, scope),
  };
}

/** A WIT response (from the asset binding) -> a Response whose host body, of `scope`, is read lazily. */
export function responseFromWit(resp, scope) {
  const body = NULL_BODY_STATUSES.has(resp.status) ? null : bodyFromWit(resp.body, scope);
  return new Response(body, { status: resp.status, headers: resp.headers });
}

/**
 * What the worker returned -> a WIT response in `scope`; refuses anything that is not a usable
 * Response (a body that belongs to an earlier request throws a RequestEndedError).
 */
export async function responseToWit(response, scope) {
  if (!(response instanceof Response)) {
    throw new TypeError(
      `fetch() must return a Response (or a promise of one), not ${describe(response)}; ` +
        "build one with new Response(...), Response.json(...) or env.ASSETS.fetch(request)",
    );
  }
  if (response.bodyUsed) {
    throw new TypeError(
      "fetch() returned a Response whose body was already read; " +
        "return a new Response built from what you read",
    );
  }
  return {
    status: response.status,
    headers: [...response.headers],
    body: await bodyToWit(response.body, scope),
  };
}

function describe(value) {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return value.constructor?.name ?? "an object";
}
