// Timer bookkeeping, so the SDK can tell "waiting for something" from "waiting forever".
//
// With outbound fetch disabled, little can wake a guest up later: promises settle through
// microtasks, host calls are synchronous, timers are counted here. The engine also runs some
// work in tasks of its own that no script can see: reading a Blob (a Blob or FormData body,
// blob.stream(), `await new Response(blob).arrayBuffer()`) takes one task per 16 KiB chunk.
// So `watch` concludes that a promise can never settle only when no counted timer is pending
// and nothing has moved for IDLE_CHECKS turns of the event loop and IDLE_MS milliseconds.
// "Moved" is what the SDK can see: a timer firing, a host body read, a chunk of the response
// body (see `progressed`). Left alone, the engine would abort with "event loop error, but no
// exception is pending"; `watch` turns that into a clear error instead.
//
// Timer callbacks run guarded: an exception in one is reported (stack mapped to the guest's
// files) and the request goes on, as on Workers, instead of the engine aborting the call.
//
// This module is imported before the worker's modules so that every timer they start is
// counted.

import { report } from "./errors.js";

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;

/**
 * Turns of the event loop, and milliseconds, without visible progress before `watch` gives up.
 * The engine reads a Blob in its own tasks at a few hundred MB/s, unseen when the worker reads
 * it through another body (`await new Response(blob).arrayBuffer()`); IDLE_MS leaves room for
 * the largest Blob that fits in a guest's memory. A Blob sent as the response body is seen
 * chunk by chunk. A never-settling promise is reported after about IDLE_MS.
 */
export const IDLE_CHECKS = 10;
export const IDLE_MS = 200;

/** Pending timers: id -> { due, every } (every is the period of an interval, else 0). */
const pending = new Map();

/** Bumped whenever something the SDK can see moves (see `progressed`). */
let progress = 0;

/** Note that work is moving (a timer fired, a body chunk was read or written). */
export function progressed() {
  progress += 1;
}

function delayOf(value) {
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** Run a timer callback; an exception is reported, not left to abort the request. */
function run(callback, args) {
  progressed();
  try {
    callback(...args);
  } catch (error) {
    report("Uncaught error in a timer callback", error);
  }
}

function setTimeout(callback, delay, ...args) {
  if (typeof callback !== "function") return realSetTimeout(callback, delay, ...args);
  const id = realSetTimeout(() => {
    pending.delete(id);
    run(callback, args);
  }, delay);
  pending.set(id, { due: Date.now() + delayOf(delay), every: 0 });
  return id;
}

function setInterval(callback, delay, ...args) {
  if (typeof callback !== "function") return realSetInterval(callback, delay, ...args);
  const every = Math.max(1, delayOf(delay));
  const id = realSetInterval(() => {
    const timer = pending.get(id);
    if (timer) timer.due = Date.now() + every;
    run(callback, args);
  }, delay);
  pending.set(id, { due: Date.now() + every, every });
  return id;
}

function clearTimeout(id) {
  pending.delete(id);
  realClearTimeout(id);
}

function clearInterval(id) {
  pending.delete(id);
  realClearInterval(id);
}

/**
 * Cancel every timer still pending (when a request ends, as Workers do: a warm instance's next
 * request must not run this one's callbacks); returns how many there were.
 */
export function cancelPendingTimers() {
  const count = pending.size;
  for (const [id, { every }] of pending) (every ? realClearInterval : realClearTimeout)(id);
  pending.clear();
  return count;
}

/** Milliseconds until the last pending timer is due, or undefined if none is pending. */
function untilLastTimer() {
  if (pending.size === 0) return undefined;
  const now = Date.now();
  let latest = 0;
  for (const { due } of pending.values()) latest = Math.max(latest, due - now);
  return latest;
}

/** The error `watch` rejects with when nothing is left that could settle the promise. */
export class NeverSettles extends Error {
  constructor(what) {
    super(
      `${what} can never finish: it awaits a promise that nothing is left to settle ` +
        "(no timer is pending and outbound fetch() is unavailable)",
    );
    this.name = "NeverSettles";
  }
}

/** The error `watch` rejects with when its time (`until`) is up. */
export class OutOfTime extends Error {
  constructor(what) {
    super(`${what} did not finish in the time it was given`);
    this.name = "OutOfTime";
  }
}

/**
 * Settle like `promise`, or reject with NeverSettles once no timer is pending and nothing has
 * moved for IDLE_CHECKS turns of the event loop and IDLE_MS milliseconds while `promise` is
 * still pending, or with OutOfTime at `until` (a Date.now() time) if one is given.
 */
export function watch(promise, what, until = Infinity) {
  return new Promise((resolve, reject) => {
    let seen = progress;
    let idleChecks = 0;
    let idleSince = Date.now();
    let timer = realSetTimeout(check, 0);
    function after(delay) {
      timer = realSetTimeout(check, Math.max(0, Math.min(delay, until - Date.now())));
    }
    function check() {
      if (Date.now() >= until) {
        reject(new OutOfTime(what));
        return;
      }
      const wait = untilLastTimer();
      if (wait !== undefined || progress !== seen) {
        seen = progress;
        idleChecks = 0;
        idleSince = Date.now();
        after(wait === undefined ? 0 : wait + 1);
        return;
      }
      idleChecks += 1;
      if (idleChecks >= IDLE_CHECKS && Date.now() - idleSince >= IDLE_MS) {
        reject(new NeverSettles(what));
        return;
      }
      // Turn the loop quickly at first (most never-settling promises show at once), then
      // every millisecond so an idle wait does not spin.
      after(idleChecks < IDLE_CHECKS ? 0 : 1);
    }
    promise.then(
      (value) => {
        realClearTimeout(timer);
        resolve(value);
      },
      (error) => {
        realClearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Replace the global timer functions with the counting ones (once, before user code runs). */
export function trackTimers(scope = globalThis) {
  if (scope.setTimeout === setTimeout) return;
  Object.assign(scope, { setTimeout, setInterval, clearTimeout, clearInterval });
}

trackTimers();
