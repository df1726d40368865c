// A helper in another module, so stack traces must name this file and line.

export function explode(what) {
  throw new RangeError(`exploded ${what} inside a helper module`);
}
