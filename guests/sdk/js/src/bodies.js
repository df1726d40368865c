// Message bodies: host bodies as lazy ReadableStreams, and turning any body into a WIT `body`.
//
// A body that lives in the host (an asset, the incoming request body) becomes a ReadableStream
// that reads nothing until someone pulls it. The stream is remembered in a WeakMap with its
// handle, so when it comes back untouched (`return asset` or `new Response(asset.body, asset)`,
// which keeps the very same stream object) the handle goes back to the host and the bytes never
// enter the guest. `highWaterMark: 0` matters: with the default of 1 the stream would pull its
// first chunk as soon as it is made.
//
// The stream also remembers its request's scope (see scope.js): pulled or passed back in a
// later request (kept in module state), it throws a RequestEndedError saying what to do.

import { progressed } from "./timers.js";

/** Bytes per `bodies.read` call when a host body is read into the guest. */
export const READ_CHUNK = 256 * 1024;
/** Bodies up to this size go to the host inline; larger ones through `bodies.create`/`append`. */
export const INLINE_LIMIT = 1024 * 1024;
/** Bytes per `bodies.append` call (a single list over ~2.5 MB exhausts wasmtime's hostcall fuel). */
export const WRITE_CHUNK = 256 * 1024;

const EMPTY = new Uint8Array(0);

/** What a RequestEndedError about a host body advises. */
const KEEP_THE_BYTES =
  "a body that stays in the host (the incoming request's, an asset's) lives only as long as its " +
  "request, while module-level state lives on. Read it during its own request " +
  "(`const data = await response.arrayBuffer()`) and keep the bytes instead.";

/** Host-backed streams -> { handle, scope, pristine } (pristine until first pulled or cancelled). */
const hostStreams = new WeakMap();

/** The WIT imports for bodies of `scope`'s request; a RequestEndedError once it has ended. */
function bodiesOf(scope) {
  return scope.host("this body", KEEP_THE_BYTES);
}

/**
 * A ReadableStream over host body `handle` of `scope`'s request, pulled through `bodies.read`
 * only when read.
 */
export function hostBodyStream(handle, scope) {
  const state = { handle, scope, pristine: true };
  let offset = 0;
  let size;
  const stream = new ReadableStream(
    {
      pull(controller) {
        const host = bodiesOf(scope);
        if (state.pristine) {
          state.pristine = false;
          const known = host.size(handle);
          size = known === undefined || known === null ? undefined : Number(known);
        }
        const want = size === undefined ? READ_CHUNK : Math.min(READ_CHUNK, size - offset);
        const chunk = want > 0 ? host.read(handle, BigInt(offset), want) : EMPTY;
        progressed();
        if (chunk.length === 0) {
          controller.close();
          return;
        }
        offset += chunk.length;
        controller.enqueue(chunk);
        if (size !== undefined && offset >= size) controller.close();
      },
      cancel() {
        state.pristine = false;
      },
    },
    { highWaterMark: 0 },
  );
  hostStreams.set(stream, state);
  return stream;
}

/** Throw a RequestEndedError if `stream` (a body, or null) is a host body of an ended request. */
export function checkLive(stream) {
  const state = stream ? hostStreams.get(stream) : undefined;
  if (state !== undefined) bodiesOf(state.scope);
}

/**
 * The host handle behind `stream` if it can be passed back untouched, else undefined;
 * a RequestEndedError if it is a host body of a request that has ended.
 */
export function passThroughHandle(stream) {
  checkLive(stream);
  const state = hostStreams.get(stream);
  return state && state.pristine && !stream.locked ? state.handle : undefined;
}

/** A new lazy stream over the same host body as untouched `stream` (same request), or undefined. */
export function reopen(stream) {
  const handle = passThroughHandle(stream);
  return handle === undefined ? undefined : hostBodyStream(handle, hostStreams.get(stream).scope);
}

/** A WIT body (`empty`, `bytes` or `host`) -> null, Uint8Array or a lazy stream of `scope`'s request. */
export function bodyFromWit(body, scope) {
  switch (body.tag) {
    case "host":
      return hostBodyStream(body.val, scope);
    case "bytes":
      return body.val.length ? body.val : null;
    default:
      return null;
  }
}

/**
 * A ReadableStream (or null) -> a WIT body for `scope`'s request. An untouched host body goes
 * back as its handle; anything else is read here: up to INLINE_LIMIT inline, larger into a new
 * host body in chunks. A host body of a request that has ended throws a RequestEndedError.
 */
export async function bodyToWit(stream, scope) {
  if (stream === null || stream === undefined) return { tag: "empty" };
  const handle = passThroughHandle(stream);
  if (handle !== undefined) return { tag: "host", val: handle };
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  let upload;
  for (;;) {
    const { done, value } = await reader.read();
    progressed(); // a stream the engine feeds from its own tasks (a Blob's) is moving
    if (done) break;
    const bytes = asBytes(value);
    if (upload !== undefined) {
      append(scope, upload, bytes);
      continue;
    }
    chunks.push(bytes);
    size += bytes.length;
    if (size > INLINE_LIMIT) {
      upload = bodiesOf(scope).create();
      for (const chunk of chunks.splice(0)) append(scope, upload, chunk);
    }
  }
  if (upload !== undefined) return { tag: "host", val: upload };
  return size === 0 ? { tag: "empty" } : { tag: "bytes", val: concat(chunks, size) };
}

function asBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(
    `a body stream must yield Uint8Array chunks, not ${value === null ? "null" : typeof value}`,
  );
}

function append(scope, handle, bytes) {
  const host = bodiesOf(scope);
  for (let start = 0; start < bytes.length; start += WRITE_CHUNK) {
    host.append(handle, bytes.subarray(start, start + WRITE_CHUNK));
  }
}

function concat(chunks, size) {
  if (chunks.length === 1) return chunks[0];
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}
