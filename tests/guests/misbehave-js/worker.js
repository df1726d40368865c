// misbehave-js: a test guest that exercises the JavaScript SDK and fails on purpose, one way
// per path (the same paths as misbehave-py where they overlap).

import { fetch as witAssetsFetch } from "wasmhost:worker/assets@0.1.0";
import { append as witAppend, read as witRead } from "wasmhost:worker/bodies@0.1.0";
import { explode } from "./lib/explode.js";

// Module-level state: a warm instance keeps it between the requests it serves.
let servedCount = 0;
let keptRequest;

const ROUTES = {
  "/ok": () => new Response("misbehave is fine", { headers: { "x-guest": "misbehave-js" } }),
  // The deployment's variables and secrets, as JSON (every name of env but ASSETS and KV).
  "/env": (request, env) =>
    Response.json(Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string"))),
  // fetch() the URL in ?url=: its status and body, or the error it threw (caught here).
  "/outbound": async (request) => {
    const url = new URL(request.url).searchParams.get("url");
    try {
      const response = await fetch(url, { method: "POST", body: "from the guest" });
      return new Response(`${response.status} ${await response.text()}`);
    } catch (error) {
      return new Response(`${error.name}: ${error.message}`, { status: 502 });
    }
  },
  // One KV operation, as JSON {op, binding, key, value, type, options}: its result, or its error.
  "/kv": async (request, env) => {
    const { op, binding = "NOTES", key, value, type, options } = await request.json();
    const kv = env[binding];
    if (kv === undefined) return Response.json({ error: `no binding ${binding}` });
    try {
      if (op === "get") return Response.json({ result: await kv.getWithMetadata(key, type) });
      if (op === "raw") return new Response(await kv.get(key, "stream")); // the value, untouched
      if (op === "put") return Response.json({ result: (await kv.put(key, value, options)) ?? null });
      if (op === "delete") return Response.json({ result: (await kv.delete(key)) ?? null });
      const page = await kv.list(options);
      return Response.json({ result: { ...page, cacheStatus: undefined } });
    } catch (error) {
      return Response.json({ error: String(error?.message ?? error) });
    }
  },

  // Failures.
  "/trap": () => {
    throw new Error("boom from the guest");
  },
  "/trap-in-module": () => explode("deep"),
  "/reject": () => Promise.reject("plain rejection"),
  "/throw-object": () => {
    throw { code: 42, reason: "not an Error" };
  },
  "/reject-later": async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new TypeError("rejected after a timer");
  },
  "/never": () => new Promise(() => {}),
  "/never-after-timer": async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise(() => {});
  },
  "/loop": () => {
    for (;;) {}
  },
  "/alloc": () => {
    const hoard = [];
    for (;;) hoard.push(new Uint8Array(1 << 20).fill(1));
  },
  "/flood": () => {
    const line = "x".repeat(1000);
    for (let i = 0; i < 2000; i++) console.log(`flood ${i} ${line}`);
    return new Response("flooded");
  },
  "/not-a-response": () => ({ status: 200, body: "nope" }),
  "/body-used": async (request, env) => {
    const asset = await env.ASSETS.fetch("/hello.txt");
    await asset.text();
    return asset;
  },

  // Bodies.
  "/echo": async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    const headers = { "x-method": request.method, "x-url": request.url, "x-length": body.length };
    return new Response(body, { headers });
  },
  "/echo-stream": (request) => new Response(request.body, { headers: { "x-passed": "yes" } }),
  "/json": async (request) => {
    const data = await request.json();
    return Response.json({ received: data, keys: Object.keys(data).length }, { status: 201 });
  },
  "/host-header": (request) => new Response(request.headers.get("host")),
  "/big": (request) => {
    const size = Number(new URL(request.url).searchParams.get("bytes"));
    return new Response(pattern(size), { headers: { "content-type": "application/octet-stream" } });
  },
  "/big-text": (request) => {
    const lines = Number(new URL(request.url).searchParams.get("lines"));
    return new Response("0123456789abcdef\n".repeat(lines));
  },

  // Bodies the engine streams itself (Blob, FormData), in tasks the SDK cannot count.
  "/blob-body": (request) => new Response(new Blob([pattern(number(request, "bytes"))])),
  "/blob-stream-body": (request) => new Response(new Blob([pattern(number(request, "bytes"))]).stream()),
  "/form-body": () => {
    const form = new FormData();
    form.append("a", "1");
    form.append("b", new Blob([pattern(300_000)]), "b.bin");
    return new Response(form);
  },
  "/blob-read": async (request) => {
    const bytes = await new Response(new Blob([pattern(number(request, "bytes"))])).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return new Response(`read ${bytes.byteLength} bytes, sha256 ${hex(digest)}`);
  },

  // Timers.
  "/timer-throws": async () => {
    setTimeout(() => {
      throw new Error("timer exploded");
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return new Response("answered after the timer");
  },
  "/timer-left": () => {
    setTimeout(() => console.log("left-behind timer fired"), 20);
    return new Response("left a timer behind");
  },

  // The asset binding.
  "/asset": (request, env) => {
    const target = new URL(request.url).searchParams.get("url") ?? "/";
    return env.ASSETS.fetch(new Request(new URL(target, request.url), { headers: request.headers }));
  },
  "/pass": (request, env) => env.ASSETS.fetch(param(request, "path")),
  "/rewrap": async (request, env) => {
    const asset = await env.ASSETS.fetch(param(request, "path"));
    const response = new Response(asset.body, asset);
    response.headers.set("x-extra", "added by the guest");
    response.headers.append("set-cookie", "a=1");
    response.headers.append("set-cookie", "b=2");
    return response;
  },
  "/rewrap-status": async (request, env) => {
    const asset = await env.ASSETS.fetch("/404");
    return new Response(asset.body, { status: 404, headers: asset.headers });
  },
  "/asset-read": async (request, env) => {
    const asset = await env.ASSETS.fetch(param(request, "path"));
    const bytes = await asset.arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Response.json({ status: asset.status, length: bytes.byteLength, sha256: hex(digest) });
  },
  "/asset-upper": async (request, env) => {
    const asset = await env.ASSETS.fetch(param(request, "path"));
    return new Response((await asset.text()).toUpperCase(), { headers: { "x-transformed": "1" } });
  },

  // clone(): a host body is opened again (never teed into the guest), any other is teed.
  "/clone-asset": async (request, env) => {
    const asset = await env.ASSETS.fetch(param(request, "path"));
    const copy = asset.clone();
    const length = (await copy.arrayBuffer()).byteLength;
    return new Response(asset.body, { headers: { "x-clone-length": String(length) } });
  },
  "/clone-asset-copy": async (request, env) => (await env.ASSETS.fetch(param(request, "path"))).clone(),
  "/clone-response": async () => {
    const original = new Response("made in the guest", { status: 202, headers: { "x-a": "1" } });
    const copy = original.clone();
    const [mine, theirs] = [await original.text(), await copy.text()];
    return Response.json({ mine, theirs, status: copy.status, header: copy.headers.get("x-a") });
  },
  "/clone-request": async (request) => {
    const copy = request.clone();
    const text = await copy.text();
    const headers = { "x-clone-length": String(text.length), "x-clone-host": copy.headers.get("host") };
    return new Response(request.body, { headers });
  },

  // Text that is not valid UTF-8 is decoded with U+FFFD, as on Workers.
  "/lenient-text": async (request) => {
    const body = await request.text();
    const made = await new Response(new Uint8Array([0x61, 0xff, 0x62])).text();
    const json = await new Response(new Uint8Array([0x22, 0x78, 0xc3, 0x22])).json();
    return Response.json({ body, made, json });
  },

  // Output: printed once to stdout and once to stderr (captured per request).
  "/output": (request) => {
    const text = param(request, "text") ?? "";
    console.log(text);
    console.error(text);
    return new Response("printed");
  },

  // Module state persists between requests of one instance; host bodies belong to their request.
  "/state/count": () => new Response(String(++servedCount)),
  "/state/keep": (request) => {
    keptRequest = request;
    return new Response("kept");
  },
  "/state/replay": () => new Response(keptRequest.body),
  "/state/replay-read": async () => {
    try {
      return new Response(await keptRequest.text());
    } catch (error) {
      if (error.name !== "RequestEndedError") throw error;
      return new Response(error.message, { status: 409 });
    }
  },

  // ctx.waitUntil.
  "/wait-until": (request, env, ctx) => {
    const id = param(request, "id");
    ctx.waitUntil(
      new Promise((resolve) => setTimeout(resolve, 300)).then(() => {
        console.log(`waitUntil finished ${id}`);
        ctx.waitUntil(Promise.resolve().then(() => console.log(`nested waitUntil finished ${id}`)));
      }),
    );
    return new Response(`accepted ${id}`);
  },
  "/wait-until-reject": (request, env, ctx) => {
    ctx.waitUntil(Promise.reject(new Error("background job failed")));
    return new Response("answered anyway");
  },
  "/wait-until-slow": (request, env, ctx) => {
    ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 5000)).then(() => console.log("slow job done")));
    ctx.waitUntil(Promise.resolve("quick job"));
    return new Response("computed in time");
  },
  "/wait-until-then-throw": (request, env, ctx) => {
    ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 100)));
    throw new Error("failed after registering a waitUntil");
  },
  "/wait-until-never": (request, env, ctx) => {
    ctx.waitUntil(new Promise(() => {}));
    return new Response("answered without it");
  },

  // Attacks on the host's time, threads and memory (tests/e2e/test_attack_*.py and the attack
  // rows of scripts/bench); misbehave-py has the same routes. Some call the WIT imports
  // directly, as a hostile guest would, past the SDK's checks.
  "/sleep": async (request) => {
    const seconds = Number(param(request, "seconds") ?? "1");
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return new Response(`slept ${seconds} s`);
  },
  "/headers-bomb": (request) => {
    const response = new Response("bomb");
    const pairs = new Array(Number(param(request, "count") ?? "700000")).fill(["", ""]);
    Object.defineProperty(response, "headers", { value: pairs });
    return response;
  },
  "/asset-refetch": (request) => {
    const url = new URL(param(request, "path") ?? "/big.bin", request.url).href;
    const times = number(request, "times");
    let first = new Uint8Array(0);
    for (let i = 0; i < times; i++) {
      const asset = witAssetsFetch({ method: "GET", url, headers: [], body: { tag: "empty" } });
      if (asset.body.tag !== "host") return new Response(`${url} has no body in the host`, { status: 500 });
      first = witRead(asset.body.val, 0n, 1);
    }
    return new Response(`read one byte of ${times} copies: ${hex(first)}`);
  },
  "/asset-buffer": async (request, env) => {
    const path = param(request, "path") ?? "/big.bin";
    const times = number(request, "times");
    let total = 0;
    for (let i = 0; i < times; i++) total += (await (await env.ASSETS.fetch(path)).arrayBuffer()).byteLength;
    return new Response(`read ${total} bytes`);
  },
  "/recurse": () => new Response(String(deeper(0))),
  "/forge": (request) => {
    const handle = Number(param(request, "handle") ?? "999999");
    const how = param(request, "how") ?? "read";
    if (how === "send") return new Response("a JavaScript guest cannot name a handle in its answer", { status: 400 });
    if (how === "append") {
      witAppend(handle, new Uint8Array([120]));
      return new Response("appended");
    }
    return new Response(witRead(handle, 0n, 16));
  },
  "/probe": async (request) => {
    const seen = {};
    try {
      seen.connect = `allowed: ${(await fetch(`http://127.0.0.1:${param(request, "port") ?? "80"}/`)).status}`;
    } catch (error) {
      seen.connect = `refused: ${error?.name ?? String(error)}`;
    }
    return Response.json(seen);
  },
};

/** `size` bytes counting 0..250 over and over (built by doubling: a JS loop per byte is slow). */
function pattern(size) {
  const body = new Uint8Array(size);
  for (let i = 0; i < Math.min(size, 251); i++) body[i] = i;
  for (let filled = 251; filled < size; filled *= 2) body.copyWithin(filled, 0, filled);
  return body;
}

/** One more frame, forever. */
function deeper(depth) {
  return deeper(depth + 1) + 1;
}

function param(request, name) {
  return new URL(request.url).searchParams.get(name);
}

function number(request, name) {
  return Number(param(request, name));
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export default {
  async fetch(request, env, ctx) {
    const route = ROUTES[new URL(request.url).pathname];
    if (route === undefined) return env.ASSETS.fetch(request);
    return route(request, env, ctx);
  },
};
