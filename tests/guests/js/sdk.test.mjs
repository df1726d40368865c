// The JavaScript guest SDK's logic under Node's own Request/Response, with the WIT imports
// faked: quick checks of what the end-to-end tests (tests/e2e/test_js_sdk.py) prove for real.
// Run by tests/guests/test_js_sdk.py, or directly: node --test tests/guests/js/

import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import {
  INLINE_LIMIT,
  READ_CHUNK,
  WRITE_CHUNK,
  bodyToWit,
  hostBodyStream,
  passThroughHandle,
} from "../../../guests/sdk/js/src/bodies.js";
import { Assets } from "../../../guests/sdk/js/src/env.js";
import { KVNamespace } from "../../../guests/sdk/js/src/kv.js";
import { outboundFetch } from "../../../guests/sdk/js/src/outbound.js";
import { describeError, mapStack } from "../../../guests/sdk/js/src/errors.js";
import "../../../guests/sdk/js/src/platform.js";
import { requestFromWit, responseToWit } from "../../../guests/sdk/js/src/messages.js";
import { RequestEndedError, RequestScope } from "../../../guests/sdk/js/src/scope.js";
import { FAILED, checkWorker, serve } from "../../../guests/sdk/js/src/serve.js";

/** The `bodies` and `assets` imports: a table of byte arrays, and a log of every call. */
class FakeHost {
  constructor() {
    this.table = new Map();
    this.calls = [];
    this.assetRequests = [];
  }
  add(bytes) {
    const handle = 100 + this.table.size;
    this.table.set(handle, Uint8Array.from(bytes));
    return handle;
  }
  size(handle) {
    this.calls.push(["size", handle]);
    return BigInt(this.table.get(handle).length);
  }
  read(handle, offset, max) {
    assert.equal(typeof offset, "bigint");
    this.calls.push(["read", handle, Number(offset), max]);
    return this.table.get(handle).slice(Number(offset), Number(offset) + max);
  }
  create() {
    this.calls.push(["create"]);
    return this.add([]);
  }
  append(handle, chunk) {
    this.calls.push(["append", handle, chunk.length]);
    const old = this.table.get(handle);
    const joined = new Uint8Array(old.length + chunk.length);
    joined.set(old);
    joined.set(chunk, old.length);
    this.table.set(handle, joined);
  }
  assetsFetch(req) {
    this.assetRequests.push(req);
    if (req.url.endsWith("/cached")) return { status: 304, headers: [["etag", '"x"']], body: { tag: "empty" } };
    const handle = this.add(new TextEncoder().encode("<h1>asset</h1>"));
    return { status: 200, headers: [["content-type", "text/html"]], body: { tag: "host", val: handle } };
  }
  vars() {
    return [["GREETING", "hello"], ["API_KEY", "secret"]];
  }
  kvNamespaces() {
    return ["NOTES"];
  }
  outboundFetch(req) {
    this.calls.push(["outboundFetch", req.method, req.url]);
    if (!req.url.startsWith("https://api.example.com/")) {
      return { tag: "failed", val: "outbound requests to elsewhere.example are not enabled for this project" };
    }
    return { tag: "response", val: { status: 200, headers: [["content-type", "text/plain"]], body: { tag: "bytes", val: new TextEncoder().encode("from api") } } };
  }
  kvGet(binding, key) {
    if (key === "") return { tag: "failed", val: "KV key must not be empty, `.` or `..`" };
    const entry = (this.kv ??= new Map()).get(`${binding}/${key}`);
    return entry === undefined ? { tag: "missing" } : { tag: "found", val: entry };
  }
  kvPut(binding, key, value, expiration, ttl, metadata) {
    this.calls.push(["kvPut", binding, key, value.tag, expiration, ttl]);
    if (key.length > 512) return "KV key is too long";
    const bytes = value.tag === "host" ? this.table.get(value.val) : value.tag === "bytes" ? value.val : new Uint8Array(0);
    (this.kv ??= new Map()).set(`${binding}/${key}`, { value: { tag: "bytes", val: bytes }, metadata, expiration });
    return undefined;
  }
  kvDelete(binding, key) {
    (this.kv ??= new Map()).delete(`${binding}/${key}`);
    return undefined;
  }
  kvList(binding, prefix, cursor, limit) {
    const names = [...(this.kv ?? new Map()).keys()].map((k) => k.slice(binding.length + 1)).filter((n) => n.startsWith(prefix)).sort();
    const keys = names.slice(0, limit).map((name) => ({ name, metadata: this.kv.get(`${binding}/${name}`).metadata }));
    return { tag: "page", val: { keys, complete: names.length <= limit, cursor: names.length > limit ? "c" : undefined } };
  }
  names() {
    return this.calls.map((call) => call[0]);
  }
}

let fake;
let scope;
let logged;
const realConsoleError = console.error;

beforeEach(() => {
  fake = new FakeHost();
  scope = new RequestScope(fake);
  logged = [];
  console.error = (...args) => logged.push(args.join(" "));
});

afterEach(() => {
  console.error = realConsoleError;
});

const bytes = (n) => Uint8Array.from({ length: n }, (_, i) => i % 251);
const witRequest = (over = {}) => ({
  method: "GET",
  url: "http://demo.localhost/docs/page?q=1",
  headers: [["host", "demo.localhost"], ["accept", "text/html"]],
  body: { tag: "empty" },
  ...over,
});

// ---------------------------------------------------------------- host bodies

test("a host body is not read until pulled, then read in chunks", async () => {
  const data = bytes(READ_CHUNK * 2 + 1000);
  const stream = hostBodyStream(fake.add(data), scope);
  const response = new Response(stream);
  assert.deepEqual(fake.calls, []);
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), data);
  assert.deepEqual(
    fake.calls.filter((c) => c[0] === "read").map((c) => [c[2], c[3]]),
    [[0, READ_CHUNK], [READ_CHUNK, READ_CHUNK], [READ_CHUNK * 2, 1000]],
  );
});

test("an untouched host body passes back as its handle, even re-wrapped", async () => {
  const handle = fake.add(bytes(10));
  const asset = new Response(hostBodyStream(handle, scope), { headers: { "x-a": "1" } });
  const rewrapped = new Response(asset.body, asset);
  rewrapped.headers.set("x-b", "2");
  const wit = await responseToWit(rewrapped, scope);
  assert.deepEqual(wit.body, { tag: "host", val: handle });
  assert.deepEqual(wit.headers, [["x-a", "1"], ["x-b", "2"]]);
  assert.deepEqual(fake.calls, []);
});

test("a host body that was read is copied, not passed back", async () => {
  const stream = hostBodyStream(fake.add(bytes(10)), scope);
  const reader = stream.getReader();
  await reader.read();
  assert.equal(passThroughHandle(stream), undefined);
});

test("small bodies go inline, empty ones as empty", async () => {
  assert.deepEqual(await bodyToWit(null, scope), { tag: "empty" });
  assert.deepEqual(await bodyToWit(new Response("").body, scope), { tag: "empty" });
  const wit = await bodyToWit(new Response("héllo").body, scope);
  assert.equal(wit.tag, "bytes");
  assert.equal(new TextDecoder().decode(wit.val), "héllo");
  assert.deepEqual(fake.calls, []);
});

test("bodies over the inline limit go to a new host body in chunks", async () => {
  const data = bytes(INLINE_LIMIT + WRITE_CHUNK + 5);
  const wit = await bodyToWit(new Response(data).body, scope);
  assert.equal(wit.tag, "host");
  assert.deepEqual(fake.table.get(wit.val), data);
  assert.equal(fake.names()[0], "create");
  assert.ok(fake.calls.slice(1).every((c) => c[0] === "append" && c[2] <= WRITE_CHUNK));
});

test("a body stream of strings is refused clearly", async () => {
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue("text");
      controller.close();
    },
  });
  await assert.rejects(bodyToWit(stream, scope), /must yield Uint8Array chunks, not string/);
});

// ---------------------------------------------------------------- requests and responses

test("the incoming request keeps its host header and reads its body lazily", async () => {
  const handle = fake.add(new TextEncoder().encode('{"a": 1}'));
  const request = requestFromWit(witRequest({ method: "POST", body: { tag: "host", val: handle } }), scope);
  assert.equal(request.headers.get("host"), "demo.localhost");
  assert.deepEqual(fake.calls, []);
  assert.deepEqual(await request.json(), { a: 1 });
  assert.deepEqual(fake.names(), ["size", "read"]);
});

test("a GET request's body is dropped", () => {
  const request = requestFromWit(witRequest({ body: { tag: "bytes", val: bytes(3) } }), scope);
  assert.equal(request.body, null);
});

test("returning something that is not a Response is a clear TypeError", async () => {
  await assert.rejects(responseToWit({ status: 200 }, scope), /must return a Response .* not Object/);
  await assert.rejects(responseToWit(undefined, scope), /not undefined/);
  const used = new Response("x");
  await used.text();
  await assert.rejects(responseToWit(used, scope), /body was already read/);
});

// ---------------------------------------------------------------- platform fixes

test("cloning a response with an untouched host body reads nothing and keeps both handles", async () => {
  const handle = fake.add(bytes(10));
  const asset = new Response(hostBodyStream(handle, scope), { status: 203, headers: { "x-a": "1" } });
  const copy = asset.clone();
  assert.equal(copy.status, 203);
  assert.equal(copy.headers.get("x-a"), "1");
  assert.equal(passThroughHandle(copy.body), handle);
  assert.equal(passThroughHandle(asset.body), handle);
  assert.deepEqual(fake.calls, []);
  assert.deepEqual(new Uint8Array(await copy.arrayBuffer()), bytes(10));
  assert.deepEqual((await responseToWit(asset, scope)).body, { tag: "host", val: handle });
});

test("cloning the incoming request keeps its host body and its host header", async () => {
  const handle = fake.add(new TextEncoder().encode("posted"));
  const request = requestFromWit(witRequest({ method: "POST", body: { tag: "host", val: handle } }), scope);
  const copy = request.clone();
  assert.equal(copy.headers.get("host"), "demo.localhost");
  assert.equal(passThroughHandle(copy.body), handle);
  assert.equal(await copy.text(), "posted");
  assert.equal(passThroughHandle(request.body), handle);
});

test("text() and json() replace bytes that are not UTF-8", async () => {
  assert.equal(await new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xff])).text(), "a\uFFFD");
  assert.equal(await new Response(new Uint8Array([0x22, 0xc3, 0x22])).json(), "\uFFFD");
  const request = new Request("http://x/", { method: "POST", body: new Uint8Array([0xff]) });
  assert.equal(await request.text(), "\uFFFD");
});

// ---------------------------------------------------------------- env.ASSETS

test("env.ASSETS.fetch resolves URLs against the request and returns a lazy Response", async () => {
  const assets = new Assets("http://demo.localhost/docs/page?q=1", scope);
  const response = await assets.fetch("style.css");
  await assets.fetch(new Request("http://demo.localhost/about", { headers: { "X-A": "1" } }));
  await assets.fetch(new URL("/x", "http://demo.localhost/"), { method: "HEAD" });
  assert.deepEqual(
    fake.assetRequests.map((r) => [r.method, r.url, r.headers]),
    [
      ["GET", "http://demo.localhost/docs/style.css", []],
      ["GET", "http://demo.localhost/about", [["x-a", "1"]]],
      ["HEAD", "http://demo.localhost/x", []],
    ],
  );
  assert.deepEqual(fake.names(), []);
  assert.equal(await response.text(), "<h1>asset</h1>");
});

test("a 304 from the assets has no body", async () => {
  const response = await new Assets("http://demo.localhost/", scope).fetch("/cached");
  assert.equal(response.status, 304);
  assert.equal(response.body, null);
});

// ---------------------------------------------------------------- serving

test("serve answers with the worker's response and awaits ctx.waitUntil", async () => {
  const order = [];
  const worker = {
    async fetch(request, env, ctx) {
      ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 20)).then(() => order.push("waited")));
      ctx.waitUntil(Promise.reject(new Error("background failure")));
      return Response.json({ url: request.url }, { status: 201 });
    },
  };
  const wit = await serve(worker, witRequest(), fake);
  order.push("answered");
  assert.deepEqual(order, ["waited", "answered"]);
  assert.equal(wit.status, 201);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(wit.body.val)), { url: witRequest().url });
  assert.match(logged.join("\n"), /A ctx\.waitUntil\(\) promise rejected: Error: background failure/);
});

test("a throwing worker is reported once and fails the call", async () => {
  const worker = {
    fetch() {
      throw new RangeError("broken");
    },
  };
  await assert.rejects(serve(worker, witRequest(), fake), (error) => error === FAILED);
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^Uncaught error in fetch\(\): RangeError: broken/);
});

test("a promise nothing can settle is reported instead of hanging", async () => {
  const worker = { fetch: () => new Promise(() => {}) };
  await assert.rejects(serve(worker, witRequest(), fake), (error) => error === FAILED);
  assert.match(logged[0], /NeverSettles: the worker's fetch\(\) can never finish/);
});

test("waiting on a timer is not mistaken for waiting forever", async () => {
  const worker = {
    async fetch() {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return new Response("late but fine");
    },
  };
  const wit = await serve(worker, witRequest(), fake);
  assert.equal(new TextDecoder().decode(wit.body.val), "late but fine");
});

test("an exception in a timer callback is reported and the response still sent", async () => {
  const worker = {
    async fetch() {
      setTimeout(() => {
        throw new Error("timer broke");
      }, 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return new Response("still answered");
    },
  };
  const wit = await serve(worker, witRequest(), fake);
  assert.equal(new TextDecoder().decode(wit.body.val), "still answered");
  assert.match(logged[0], /^Uncaught error in a timer callback: Error: timer broke/);
});

test("waitUntil promises still pending when fetch() fails are counted in the log", async () => {
  const worker = {
    fetch(request, env, ctx) {
      ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 50)));
      ctx.waitUntil(Promise.resolve());
      throw new Error("failed");
    },
  };
  await assert.rejects(serve(worker, witRequest(), fake), (error) => error === FAILED);
  assert.match(logged[1], /^ctx\.waitUntil\(\): dropped 1 waitUntil promise\(s\): fetch\(\) failed/);
});

test("a waitUntil promise that never settles does not hold the response", async () => {
  const worker = {
    fetch(request, env, ctx) {
      ctx.waitUntil(new Promise(() => {}));
      return new Response("sent");
    },
  };
  const wit = await serve(worker, witRequest(), fake);
  assert.equal(new TextDecoder().decode(wit.body.val), "sent");
  assert.match(logged[0], /ctx\.waitUntil\(\) gave up/);
});

test("checkWorker explains what a worker module must export", () => {
  const worker = { fetch() {} };
  assert.equal(checkWorker({ default: worker }), worker);
  assert.throws(() => checkWorker({}), /worker\.js has no default export; a worker module/);
  assert.throws(() => checkWorker({ fetch() {} }), /exports a named fetch\(\) instead/);
  assert.throws(() => checkWorker({ default: {} }), /default export has no fetch\(\) method/);
});

// ---------------------------------------------------------------- bodies belong to their request
// One instance serves many requests in turn (module state persists); a host body does not.

const postWith = (handle) => witRequest({ method: "POST", body: { tag: "host", val: handle } });
const answerText = (wit) => new TextDecoder().decode(wit.body.val);

/** Serve a POST whose worker keeps its request (host body and all), as module state would. */
async function keepRequest() {
  let kept;
  const worker = {
    fetch(request) {
      kept = request;
      return new Response("kept");
    },
  };
  await serve(worker, postWith(fake.add(new TextEncoder().encode("posted"))), fake);
  return kept;
}

test("a body kept from an earlier request cannot be read, and says what to do", async () => {
  const kept = await keepRequest();
  const worker = {
    async fetch() {
      try {
        await kept.text();
        return new Response("read it");
      } catch (error) {
        const kinds = [error instanceof RequestEndedError, error instanceof TypeError];
        return new Response(`${kinds} ${error.message}`, { status: 409 });
      }
    },
  };
  const wit = await serve(worker, witRequest(), fake);
  assert.equal(wit.status, 409);
  assert.match(answerText(wit), /^true,true this body belongs to an earlier request, which has ended/);
  assert.match(answerText(wit), /keep the bytes instead/);
  assert.deepEqual(fake.names(), []);
  assert.equal(kept.bodyUsed, false);
});

test("a body kept from an earlier request cannot be sent back or forwarded", async () => {
  const kept = await keepRequest();
  const replay = { fetch: () => new Response(kept.body) };
  const forward = {
    fetch: (request, env) =>
      env.ASSETS.fetch(
        new Request("http://demo.localhost/up", { method: "POST", body: kept.body, duplex: "half" }),
      ),
  };
  for (const worker of [replay, forward]) {
    logged = [];
    await assert.rejects(serve(worker, witRequest(), fake), (error) => error === FAILED);
    assert.match(logged[0], /^Uncaught error in fetch\(\): RequestEndedError: this body belongs to an/);
  }
  assert.deepEqual(fake.assetRequests, []);
});

test("an asset kept from an earlier request cannot be returned or cloned", async () => {
  let kept;
  const first = {
    async fetch(request, env) {
      kept = await env.ASSETS.fetch("/page.html");
      return new Response("fetched");
    },
  };
  await serve(first, witRequest(), fake);
  await assert.rejects(serve({ fetch: () => kept }, witRequest(), fake), (error) => error === FAILED);
  assert.match(logged[0], /RequestEndedError: this body belongs to an earlier request/);
  assert.throws(() => kept.clone(), RequestEndedError);
});

test("a host stream of an ended request errors when pulled", async () => {
  const stream = hostBodyStream(fake.add(bytes(10)), scope);
  scope.end();
  await assert.rejects(stream.getReader().read(), RequestEndedError);
  assert.deepEqual(fake.calls, []);
});

test("an env kept from an earlier request is refused", async () => {
  let kept;
  await serve({ fetch: (request, env) => ((kept = env), new Response()) }, witRequest(), fake);
  const worker = { fetch: () => kept.ASSETS.fetch("/page.html") };
  await assert.rejects(serve(worker, witRequest(), fake), (error) => error === FAILED);
  assert.match(logged[0], /RequestEndedError: env\.ASSETS belongs to an earlier request, .*: use the `env`/);
  assert.deepEqual(fake.assetRequests, []);
});

test("bodies of the request being served still pass through", async () => {
  const kept = await keepRequest();
  const handle = fake.add(bytes(10));
  const worker = { fetch: (request) => new Response(request.clone().body) };
  const wit = await serve(worker, postWith(handle), fake);
  assert.deepEqual(wit.body, { tag: "host", val: handle });
  assert.equal(kept.bodyUsed, false);
});

// ---------------------------------------------------------------- errors

test("stack frames in the bundle are mapped to the original files", () => {
  const table = { bundle: "wasmhost-bundle.js", sources: ["worker.js", "lib/a.js"], files: [-1, 0, 1], lines: [0, 7, 3] };
  const stack = "f@wasmhost-bundle.js:2:5\ng@wasmhost-bundle.js:3:1\nh@other.js:1:1";
  assert.equal(mapStack(stack, table), "f@worker.js:7\ng@lib/a.js:3\nh@other.js:1:1");
});

test("non-Error values are described as such", () => {
  assert.equal(describeError("nope"), '"nope" (a non-Error value)');
  assert.equal(describeError(42), "42 (a non-Error value)");
  assert.equal(describeError({ code: 42, why: "x" }), '{"code":42,"why":"x"} (a non-Error value)');
  assert.equal(describeError([1, "a"]), '[1,"a"] (a non-Error value)');
  assert.equal(describeError(null), "null (a non-Error value)");
  assert.equal(describeError(undefined), "undefined (a non-Error value)");
  const cycle = { name: "loop" };
  cycle.self = cycle;
  assert.equal(describeError(cycle), "[object Object] (a non-Error value)");
});

test("env has the deployment's variables and secrets beside ASSETS", async () => {
  let seen;
  const worker = { fetch: (request, env) => ((seen = env), new Response("ok")) };
  await serve(worker, witRequest(), fake);
  assert.deepEqual(Object.keys(seen).sort(), ["API_KEY", "ASSETS", "GREETING", "NOTES"]);
  assert.equal(seen.GREETING, "hello");
  assert.equal(seen.API_KEY, "secret");
  assert.equal(String(seen.ASSETS), "[object Assets]");
});

test("a KV namespace reads and writes with Workers KV's API", async () => {
  const notes = new KVNamespace("NOTES", scope);
  assert.equal(await notes.get("missing"), null);
  await notes.put("a", "hello", { metadata: { by: "me" }, expirationTtl: 120 });
  assert.deepEqual(fake.calls.at(-1), ["kvPut", "NOTES", "a", "bytes", undefined, 120n]);
  assert.equal(await notes.get("a"), "hello");
  assert.equal(await notes.get("a", "text"), "hello");
  assert.deepEqual(new Uint8Array(await notes.get("a", { type: "arrayBuffer" })), new TextEncoder().encode("hello"));
  await notes.put("j", JSON.stringify({ n: 1 }));
  assert.deepEqual(await notes.get("j", "json"), { n: 1 });
  const stream = await notes.get("a", "stream");
  assert.equal(await new Response(stream).text(), "hello");
  assert.deepEqual(await notes.getWithMetadata("a"), { value: "hello", metadata: { by: "me" }, cacheStatus: null });
  assert.deepEqual(await notes.getWithMetadata("nope"), { value: null, metadata: null, cacheStatus: null });
  const listed = await notes.list({ prefix: "" });
  assert.deepEqual(listed, { keys: [{ name: "a", metadata: { by: "me" } }, { name: "j" }], list_complete: true, cacheStatus: null });
  await notes.delete("a");
  assert.equal(await notes.get("a"), null);
});

test("a KV value in the host goes back untouched, and refusals reject with the reason", async () => {
  const notes = new KVNamespace("NOTES", scope);
  const handle = fake.add(new TextEncoder().encode("posted body"));
  const request = requestFromWit(witRequest({ method: "POST", body: { tag: "host", val: handle } }), scope);
  await notes.put("body", request.body);
  assert.deepEqual(fake.calls.at(-1).slice(0, 4), ["kvPut", "NOTES", "body", "host"]);
  assert.equal(await notes.get("body"), "posted body");
  await assert.rejects(notes.put("k".repeat(600), "v"), /KV key is too long/);
  await assert.rejects(notes.get(""), /must not be empty/);
  await assert.rejects(notes.get("a", "xml"), /type must be one of text, json, arrayBuffer, stream/);
  await assert.rejects(notes.put("a", "v", { expirationTtl: 1.5 }), /whole number of seconds/);
  await assert.rejects(notes.put("a", undefined), /needs a value/);
});

test("Response.json follows the standard, for large payloads too", async () => {
  const big = Response.json({ text: "x".repeat(2_000_000) }, { status: 201, headers: { "x-a": "1" } });
  assert.equal(big.status, 201);
  assert.equal(big.headers.get("content-type"), "application/json");
  assert.equal(big.headers.get("x-a"), "1");
  assert.equal((await big.json()).text.length, 2_000_000);
  const typed = Response.json([1], { headers: { "content-type": "application/problem+json" } });
  assert.equal(typed.headers.get("content-type"), "application/problem+json");
  assert.equal(await typed.text(), "[1]");
  assert.throws(() => Response.json(undefined), TypeError);
});

test("fetch() goes through the host, and a refusal is a TypeError the worker can catch", async () => {
  const worker = {
    async fetch() {
      const ok = await outboundFetch("https://api.example.com/data", { method: "POST", body: "x" });
      let refused;
      try {
        await outboundFetch("https://elsewhere.example/");
      } catch (error) {
        refused = `${error.name}: ${error.message}`;
      }
      return new Response(`${ok.status} ${await ok.text()} | ${refused}`);
    },
  };
  const wit = await serve(worker, witRequest(), fake);
  assert.equal(
    new TextDecoder().decode(wit.body.val),
    "200 from api | TypeError: fetch(https://elsewhere.example/) failed: outbound requests to elsewhere.example are not enabled for this project",
  );
  assert.deepEqual(fake.calls.filter((c) => c[0] === "outboundFetch").map((c) => c[1]), ["POST", "GET"]);
});
