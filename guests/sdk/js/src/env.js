// What a worker's fetch(request, env, ctx) receives besides the request.

import { requestToWit, responseFromWit } from "./messages.js";

/** What a RequestEndedError about a kept `env` advises. */
const USE_THIS_ENV = "use the `env` passed to this request's fetch(request, env, ctx).";

/**
 * The asset binding: `env.ASSETS.fetch(request)` serves this project's static files. Each
 * request gets its own, bound to that request's scope (its URL resolves relative ones).
 */
export class Assets {
  #base;
  #scope;

  constructor(baseUrl, scope) {
    this.#base = baseUrl;
    this.#scope = scope;
  }

  /**
   * Serve a request from the project's assets: a Request, or a URL (a relative one is taken
   * from the incoming request's URL), plus an optional RequestInit. Resolves to a Response
   * whose body stays in the host until read.
   */
  async fetch(input, init) {
    const request =
      input instanceof Request && init === undefined ? input : new Request(this.#absolute(input), init);
    const host = this.#scope.host("env.ASSETS", USE_THIS_ENV);
    return responseFromWit(host.assetsFetch(await requestToWit(request, this.#scope)), this.#scope);
  }

  #absolute(input) {
    if (input instanceof Request) return input;
    return new URL(String(input), this.#base).href;
  }

  toString() {
    return "[object Assets]";
  }
}

/** Per ctx: the promises passed to ctx.waitUntil() not yet taken, and those not yet settled. */
const waitingOn = new WeakMap();

/** `ctx`: `waitUntil(promise)` keeps the request open until `promise` settles. */
export class ExecutionContext {
  constructor() {
    waitingOn.set(this, { untaken: [], unsettled: new Set() });
  }

  /** Finish `promise` before the request completes (a rejection is logged, not sent). */
  waitUntil(promise) {
    const { untaken, unsettled } = waitingOn.get(this);
    const settled = Promise.resolve(promise);
    untaken.push(settled);
    unsettled.add(settled);
    const done = () => unsettled.delete(settled);
    settled.then(done, done);
  }

  /** Accepted for compatibility; there is no origin to fall back to, so failures stay 500s. */
  passThroughOnException() {}
}

/** The promises given to `ctx.waitUntil()` since the last call (the SDK awaits them). */
export function takeWaitUntil(ctx) {
  return waitingOn.get(ctx).untaken.splice(0);
}

/** How many promises given to `ctx.waitUntil()` have not settled yet. */
export function unsettledWaitUntil(ctx) {
  return waitingOn.get(ctx).unsettled.size;
}
