// Serving one request: call the worker, turn its answer into a WIT response, honour waitUntil.

import { Assets, ExecutionContext, takeWaitUntil, unsettledWaitUntil } from "./env.js";
import { report } from "./errors.js";
import { KVNamespace } from "./kv.js";
import { serveFetchIn } from "./outbound.js";
import { requestFromWit, responseToWit } from "./messages.js";
import { RequestScope } from "./scope.js";
import { OutOfTime, cancelPendingTimers, watch } from "./timers.js";

/**
 * Milliseconds after the request started until which ctx.waitUntil() promises are awaited.
 * The host's CPU deadline (1 s by default) covers the whole call, and running out of it
 * throws the computed response away; so past this the response is sent without them.
 */
export const WAIT_UNTIL_BUDGET_MS = 500;

/**
 * Thrown after a failure has been reported: the export rejects, the engine prints this one
 * line and traps, and the host answers 500 "Worker threw an exception".
 */
export const FAILED = "wasmhost: the worker failed; the error is logged above";

/** The worker object from the user's module namespace, or a clear error at build time. */
export function checkWorker(namespace, entry = "worker.js") {
  const worker = namespace.default;
  const shape = "export default { async fetch(request, env, ctx) { … } }";
  if (worker === undefined || worker === null) {
    const hint =
      typeof namespace.fetch === "function"
        ? "; it exports a named fetch() instead: write `export default { fetch }`"
        : "";
    throw new Error(`${entry} has no default export${hint}; a worker module looks like: ${shape}`);
  }
  if (typeof worker.fetch !== "function") {
    throw new Error(`${entry}'s default export has no fetch() method; it should look like: ${shape}`);
  }
  return worker;
}

/**
 * Serve the WIT request `req` with `worker.fetch(request, env, ctx)`, talking to the WIT
 * imports `host`; returns a WIT response. The request's bodies, `env` and timers end with it.
 */
export async function serve(worker, req, host) {
  const scope = new RequestScope(host);
  serveFetchIn(scope);
  try {
    return await serveIn(scope, worker, req);
  } finally {
    scope.end();
    const cancelled = cancelPendingTimers();
    if (cancelled) {
      console.error(
        `${cancelled} timer(s) still pending when the request ended were cancelled ` +
          "(to finish work after the response, pass a promise to ctx.waitUntil())",
      );
    }
  }
}

async function serveIn(scope, worker, req) {
  const started = Date.now();
  const ctx = new ExecutionContext();
  let answer;
  try {
    answer = await watch(respond(scope, worker, req, ctx), "the worker's fetch()");
  } catch (error) {
    report("Uncaught error in fetch()", error);
    const dropped = unsettledWaitUntil(ctx);
    if (dropped) {
      console.error(`ctx.waitUntil(): dropped ${dropped} waitUntil promise(s): fetch() failed`);
    }
    throw FAILED;
  }
  await finishWaitUntil(ctx, started + WAIT_UNTIL_BUDGET_MS);
  return answer;
}

async function respond(scope, worker, req, ctx) {
  const request = requestFromWit(req, scope);
  const host = scope.host("env");
  const env = Object.fromEntries(host.vars());
  for (const binding of host.kvNamespaces()) env[binding] = new KVNamespace(binding, scope);
  env.ASSETS = new Assets(req.url, scope);
  const response = await worker.fetch(request, env, ctx);
  return responseToWit(response, scope);
}

/**
 * Await every ctx.waitUntil() promise (including ones registered meanwhile) until `until`
 * (a Date.now() time); log failures, and what is left when time is up.
 */
async function finishWaitUntil(ctx, until) {
  for (let batch = takeWaitUntil(ctx); batch.length; batch = takeWaitUntil(ctx)) {
    let results;
    try {
      results = await watch(Promise.allSettled(batch), "a ctx.waitUntil() promise", until);
    } catch (error) {
      if (error instanceof OutOfTime) {
        console.error(
          `ctx.waitUntil(): gave up waiting for ${unsettledWaitUntil(ctx)} waitUntil promise(s) ` +
            `${WAIT_UNTIL_BUDGET_MS} ms into the request (the response is sent without them)`,
        );
      } else {
        report("ctx.waitUntil() gave up (the response is sent anyway)", error);
      }
      return;
    }
    for (const result of results) {
      if (result.status === "rejected") report("A ctx.waitUntil() promise rejected", result.reason);
    }
  }
}
