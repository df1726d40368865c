// The seam between the SDK and the host: main.js installs the WIT imports, tests install fakes.

let installed = null;

/**
 * Make `bindings` the host the SDK talks to: `{ size, read, create, append, assetsFetch }`,
 * shaped like the WIT imports (`bodies.*` and `assets.fetch`). `null` removes it.
 */
export function install(bindings) {
  installed = bindings;
}

/** The installed host; fails clearly outside a guest. */
export function host() {
  if (installed === null) {
    throw new Error("no host is installed: host bodies and env.ASSETS only work inside a wasmhost guest");
  }
  return installed;
}
