// `fetch()` to other origins, as on Workers, made by the host: only to the hosts the project's
// config allows (`outbound_hosts`). Installed over the engine's own fetch when this module is
// imported (the engine's would trap the whole instance). A refused or failed request rejects
// with a TypeError that says why, which the worker can catch.

import { requestToWit, responseFromWit } from "./messages.js";

/** The scope of the request being served (an instance serves one request at a time). */
let serving;

const OUTSIDE =
  "fetch() was called outside a request (from a timer left running, or at the top level); " +
  "call it from fetch(request, env, ctx), or pass its promise to ctx.waitUntil()";

/** Make `scope`'s request the one fetch() acts for, until `scope` ends. */
export function serveFetchIn(scope) {
  serving = scope;
}

/** `fetch(input, init)`: a Response from the host's outbound request. */
export async function outboundFetch(input, init) {
  const scope = serving;
  if (scope === undefined) throw new TypeError(OUTSIDE);
  const request = new Request(input, init);
  const host = scope.host("fetch()", OUTSIDE);
  const fetched = host.outboundFetch(await requestToWit(request, scope));
  if (fetched.tag === "failed") throw new TypeError(`fetch(${request.url}) failed: ${fetched.val}`);
  return responseFromWit(fetched.val, scope);
}

globalThis.fetch = outboundFetch;
