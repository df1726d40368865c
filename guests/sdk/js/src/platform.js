// Where the engine's Request and Response differ from Workers (and the Fetch standard), made
// to match. Installed when this module is imported: main.js imports it before the worker's
// modules, so they see the fixed classes.
//
// - `Response.prototype.clone` is missing; `Request.prototype.clone` tees the body, which for a
//   body still in the host means copying it into the guest. A host body can be read any number
//   of times, so cloning an untouched one gives the copy a fresh stream over the same handle:
//   nothing is read, and either one can still go back to the host untouched. Any other body is
//   teed, as the standard says.
// - `text()` and `json()` throw on bytes that are not UTF-8; the standard (and Workers) decode
//   them with U+FFFD in their place.
// - `Response.json(data)` throws "out of memory" for a payload of about a megabyte (the engine
//   serializes it its own way); it is replaced by the standard's steps over JSON.stringify.
// - A host body belongs to its request (see scope.js): reading one kept from an earlier request
//   (`text()`, `arrayBuffer()`, ...) rejects with the SDK's RequestEndedError, which says what
//   to do, rather than whatever error the engine makes of a failing stream.

import { checkLive, reopen } from "./bodies.js";

const BODY_METHODS = ["arrayBuffer", "blob", "formData", "json", "text"];

const nativeResponseClone = Response.prototype.clone;

/** `Response.prototype.clone`: a copy whose body reads the same bytes. */
function cloneResponse() {
  if (this.bodyUsed || this.body?.locked) {
    throw new TypeError("Response.clone: the body has already been read");
  }
  const init = { status: this.status, statusText: this.statusText, headers: this.headers };
  const body = this.body;
  if (body === null) return new Response(null, init);
  const again = reopen(body);
  if (again !== undefined) return new Response(again, init);
  if (nativeResponseClone) return nativeResponseClone.call(this);
  const [mine, theirs] = body.tee();
  adoptBody(this, mine);
  return new Response(theirs, init);
}

/**
 * Give `response` the body `stream` (one branch of its own body's tee): the engine offers no
 * way to swap a Response's body, so its body accessors are shadowed by ones reading `stream`.
 */
function adoptBody(response, stream) {
  const carrier = new Response(stream, { headers: response.headers });
  const own = (name, descriptor) =>
    Object.defineProperty(response, name, { configurable: true, ...descriptor });
  own("body", { get: () => carrier.body });
  own("bodyUsed", { get: () => carrier.bodyUsed });
  for (const name of BODY_METHODS) {
    own(name, { writable: true, value: (...args) => carrier[name](...args) });
  }
}

/**
 * `Request.prototype.clone` around the engine's: an untouched host body is not teed but opened
 * again, and a `host` header the incoming request keeps (see messages.js) is kept by the copy.
 */
function wrapRequestClone(nativeClone) {
  return function clone() {
    const again = this.body ? reopen(this.body) : undefined;
    let copy;
    if (again === undefined) {
      copy = nativeClone.call(this);
    } else {
      if (this.bodyUsed) throw new TypeError("Request.clone: the body has already been read");
      copy = new Request(this.url, {
        method: this.method,
        headers: this.headers,
        body: again,
        duplex: "half",
        signal: this.signal,
      });
    }
    if (Object.hasOwn(this, "headers")) {
      Object.defineProperty(copy, "headers", { value: new Headers([...this.headers]) });
    }
    return copy;
  };
}

/** Whether this TextDecoder replaces malformed UTF-8 with U+FFFD (the standard's default). */
function decoderReplaces() {
  try {
    return new TextDecoder().decode(new Uint8Array([0x61, 0xff])) === "a\uFFFD";
  } catch {
    return false;
  }
}

/** `text()` per the Fetch standard: UTF-8 with replacement, a leading BOM dropped. */
async function text() {
  return new TextDecoder().decode(await this.arrayBuffer());
}

/** `json()` per the Fetch standard: the body decoded as text() does, then parsed. */
async function json() {
  return JSON.parse(await this.text());
}

/** `read` (a body method) that first rejects a host body of an ended request clearly. */
function checkingLive(read) {
  return function (...args) {
    try {
      checkLive(this.body);
    } catch (error) {
      return Promise.reject(error);
    }
    return read.apply(this, args);
  };
}

/** `Response.json(data, init)` as the Fetch standard defines it. */
function responseJson(data, init = {}) {
  const text = JSON.stringify(data);
  if (text === undefined) throw new TypeError("Response.json: the data cannot be serialized to JSON");
  const headers = new Headers(init?.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new Response(text, { ...init, headers });
}

let installed = false;

/** Install the fixes (once) on the global Request and Response. */
export function installPlatformFixes() {
  if (installed) return;
  installed = true;
  const define = (proto, name, value) =>
    Object.defineProperty(proto, name, { value, writable: true, configurable: true, enumerable: true });
  define(Response.prototype, "clone", cloneResponse);
  define(Response, "json", responseJson);
  define(Request.prototype, "clone", wrapRequestClone(Request.prototype.clone));
  const lenient = decoderReplaces();
  for (const proto of [Request.prototype, Response.prototype]) {
    if (lenient) {
      define(proto, "text", text);
      define(proto, "json", json);
    }
    for (const name of BODY_METHODS) {
      if (typeof proto[name] === "function") define(proto, name, checkingLive(proto[name]));
    }
  }
}

installPlatformFixes();
