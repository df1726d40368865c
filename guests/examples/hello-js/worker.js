const MAX_BYTES = 1024 * 1024;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/api/bytes") {
      return zeros(url.searchParams.get("size") ?? "");
    }
    if (url.pathname.startsWith("/api/")) {
      return Response.json({ hello: "world" });
    }
    return env.ASSETS.fetch(request);
  },
};

/** `size` zero bytes made by the worker (400 unless size is 0 to 1 MiB). */
function zeros(size) {
  if (!/^[0-9]{1,7}$/.test(size) || Number(size) > MAX_BYTES) {
    return new Response("size must be a number of bytes up to 1048576\n", { status: 400 });
  }
  const body = new Uint8Array(Number(size));
  return new Response(body, { headers: { "content-type": "application/octet-stream" } });
}
