// KV namespaces: `env.NAME` with Workers KV's API, over the host's `kv` import. Each request
// gets its own, bound to that request's scope (a value read as a stream is one of its bodies).
// A refusal from the host (a key too long, the quota reached, …) rejects with an Error that
// says why, which the worker can catch.

import { bodyFromWit, bodyToWit } from "./bodies.js";

/** What a RequestEndedError about a kept `env` advises. */
const USE_THIS_ENV = "use the `env` passed to this request's fetch(request, env, ctx).";
const TYPES = ["text", "json", "arrayBuffer", "stream"];

export class KVNamespace {
  #binding;
  #scope;

  constructor(binding, scope) {
    this.#binding = binding;
    this.#scope = scope;
  }

  /** The value under `key` as `type` ("text" by default, "json", "arrayBuffer", "stream"), or null. */
  async get(key, options) {
    return (await this.getWithMetadata(key, options)).value;
  }

  /** `{ value, metadata, cacheStatus }` for `key`; value and metadata null if there is none. */
  async getWithMetadata(key, options) {
    const type = readType(options);
    const got = this.#host().kvGet(this.#binding, String(key));
    if (got.tag === "failed") throw new Error(got.val);
    if (got.tag === "missing") return { value: null, metadata: null, cacheStatus: null };
    const { value, metadata } = got.val;
    return {
      value: await asType(bodyFromWit(value, this.#scope), type),
      metadata: metadata === undefined ? null : JSON.parse(metadata),
      cacheStatus: null,
    };
  }

  /** Store `value` (a string, ArrayBuffer, view, Blob or ReadableStream) under `key`. */
  async put(key, value, options = {}) {
    if (value === null || value === undefined) {
      throw new TypeError("KV put() needs a value: a string, ArrayBuffer, ArrayBufferView or stream");
    }
    const body = await bodyToWit(new Response(value).body, this.#scope);
    const { expiration, expirationTtl, metadata } = options ?? {};
    const failed = this.#host().kvPut(
      this.#binding,
      String(key),
      body,
      seconds(expiration, "expiration"),
      seconds(expirationTtl, "expirationTtl"),
      metadata === undefined ? undefined : JSON.stringify(metadata),
    );
    if (failed !== undefined) throw new Error(failed);
  }

  /** Remove `key` (nothing happens if it is not there). */
  async delete(key) {
    const failed = this.#host().kvDelete(this.#binding, String(key));
    if (failed !== undefined) throw new Error(failed);
  }

  /** `{ keys: [{ name, expiration?, metadata? }], list_complete, cursor?, cacheStatus }`. */
  async list(options = {}) {
    const { prefix = "", cursor, limit = 1000 } = options ?? {};
    const listing = this.#host().kvList(this.#binding, String(prefix), cursor ?? undefined, limit);
    if (listing.tag === "failed") throw new Error(listing.val);
    const page = listing.val;
    const keys = page.keys.map(({ name, expiration, metadata }) => ({
      name,
      ...(expiration === undefined ? {} : { expiration: Number(expiration) }),
      ...(metadata === undefined ? {} : { metadata: JSON.parse(metadata) }),
    }));
    return {
      keys,
      list_complete: page.complete,
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      cacheStatus: null,
    };
  }

  #host() {
    return this.#scope.host(`env.${this.#binding}`, USE_THIS_ENV);
  }

  toString() {
    return "[object KVNamespace]";
  }
}

function readType(options) {
  const type = typeof options === "string" ? options : (options?.type ?? "text");
  if (!TYPES.includes(type)) {
    throw new TypeError(`KV get() type must be one of ${TYPES.join(", ")}, not ${JSON.stringify(type)}`);
  }
  return type;
}

async function asType(body, type) {
  const response = new Response(body);
  if (type === "stream") return response.body ?? new Response(new Uint8Array(0)).body;
  if (type === "arrayBuffer") return response.arrayBuffer();
  if (type === "json") return response.json();
  return response.text();
}

function seconds(value, name) {
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw new TypeError(`KV put() ${name} must be a whole number of seconds, not ${value}`);
  }
  return BigInt(number);
}
