// Small HTTP helpers: errors that carry a status, JSON answers, and a careful JSON body reader.

/** An error the worker answers with its own status and message (as JSON). */
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

/** A JSON response with a status and extra headers. */
export function json(data, status = 200, headers = {}) {
  return Response.json(data, { status, headers });
}

/** The request body parsed as a JSON object: 415, 413 and 400 for the ways it can be wrong. */
export async function readJson(request, limit = 64 * 1024) {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new HttpError(415, "send the body as application/json");
  }
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > limit) throw new HttpError(413, `the body is larger than ${limit} bytes`);
  let data;
  try {
    data = await request.json();
  } catch {
    throw new HttpError(400, "the body is not valid JSON");
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new HttpError(400, "the body must be a JSON object");
  }
  return data;
}
