// Timer bookkeeping, so the SDK can tell "waiting for a timer" from "waiting forever".
//
// With outbound fetch disabled, timers are the only thing that can wake a guest up later:
// promises settle through microtasks, host calls are synchronous. So when a promise is still
// pending, no microtask is queued and no timer is pending, nothing can ever settle it. Left
// alone, the engine then aborts with "event loop error, but no exception is pending"; `watch`
// turns that into a clear error instead. This module is imported before the worker's modules
// so that every timer they start is counted.

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;

/** Pending timers: id -> { due, every } (every is the period of an interval, else 0). */
const pending = new Map();

function delayOf(value) {
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function setTimeout(callback, delay, ...args) {
  if (typeof callback !== "function") return realSetTimeout(callback, delay, ...args);
  const id = realSetTimeout(() => {
    pending.delete(id);
    callback(...args);
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
    callback(...args);
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

/**
 * Settle like `promise`, or reject with NeverSettles once no timer is pending and `promise`
 * is still pending after the microtask queue has drained.
 */
export function watch(promise, what) {
  return new Promise((resolve, reject) => {
    let timer = realSetTimeout(check, 0);
    function check() {
      const wait = untilLastTimer();
      if (wait === undefined) reject(new NeverSettles(what));
      else timer = realSetTimeout(check, wait + 1);
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
