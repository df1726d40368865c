// Reporting a worker's failure: one readable block on stderr, with stack frames mapped from
// the bundle back to the files the developer wrote (the SDK's own frames left out).
//
// build.mjs appends a line table to the bundle (bundle line -> source file and line), taken
// from esbuild's source map; stack frames in the bundle are rewritten with it.

const TABLE = Symbol.for("wasmhost.sourceLines");
const FRAME = /([^\s@()]+):(\d+):(\d+)/g;

/** `stack` with bundle positions replaced by `file:line` in the original sources. */
export function mapStack(stack, table = globalThis[TABLE]) {
  if (!table || typeof stack !== "string") return stack;
  return stack.replace(FRAME, (whole, file, line) => {
    if (!file.endsWith(table.bundle)) return whole;
    const index = Number(line) - 1;
    const source = table.sources[table.files[index]];
    return source === undefined ? whole : `${source}:${table.lines[index]}`;
  });
}

/** Stack frames of the SDK itself and of the generated bindings: noise in a worker's error. */
const INTERNAL_FRAME = /wasmhost-sdk\/|initializer\.js:/;

/** A thrown value as text: name, message and the worker's own stack frames for errors. */
export function describeError(error) {
  if (error instanceof Error) {
    const frames = mapStack(error.stack ?? "")
      .split("\n")
      .filter((frame) => frame.trim() && !INTERNAL_FRAME.test(frame))
      .map((frame) => `\n    ${frame.trim()}`)
      .join("");
    const cause = error.cause === undefined ? "" : `\nCaused by: ${describeError(error.cause)}`;
    return `${error.name}: ${error.message}${frames}${cause}`;
  }
  return `${printable(error)} (a non-Error value)`;
}

/** A thrown value that is not an Error as text: strings and objects as JSON where possible. */
function printable(value) {
  if (typeof value === "string" || (typeof value === "object" && value !== null)) {
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return json;
    } catch {
      // a cycle, a BigInt, a throwing toJSON: fall back to String()
    }
  }
  try {
    return String(value);
  } catch {
    return "an unprintable value";
  }
}

/** Write `message` and the error to the guest's stderr (the host logs it with the project). */
export function report(message, error) {
  console.error(`${message}: ${describeError(error)}`);
}
