#!/usr/bin/env node
// Build a JavaScript guest folder into a wasmhost component, in two steps (run by
// scripts/build-guest, which caches components by a hash of the bundle step's output):
//
//   node guests/sdk/js/build.mjs bundle SRC_DIR ENTRY WORK_DIR
//   node guests/sdk/js/build.mjs componentize WORK_DIR WIT_DIR OUT.wasm
//
// bundle: esbuild bundles the SDK's entry (src/main.js) with the worker module SRC_DIR/ENTRY
//   and everything it imports (relative modules, JSON, packages in SRC_DIR/node_modules) into
//   WORK_DIR/wasmhost-bundle.js; the WIT imports (wasmhost:worker/...) stay external. Only files
//   inside SRC_DIR (and the SDK's own) may be bundled: an import that resolves outside, such as
//   `../shared/x.js` or a package found in a node_modules above the guest folder, is an error,
//   so a guest folder is everything its build depends on. Syntax and resolution errors are
//   reported as file:line:column. A line table from esbuild's source map is appended, so stack
//   traces at run time name the developer's files and lines (see src/errors.js). The bundle
//   holds no machine paths: the same sources give the same bundle in any folder.
// componentize: componentize-js turns the bundle into a component of the `worker` world, with
//   outbound HTTP and the fetch-event handler left out. It runs the module's top level at build
//   time, so a missing default export or a throwing top level fails the build. It runs in
//   WORK_DIR (scripts/build-guest makes that a fixed folder per cache key, with TMPDIR inside
//   it). Components are still not byte-for-byte reproducible: componentize-js records the
//   absolute paths it worked in, and the engine's heap it snapshots holds random seeds.

import { readFile, realpath, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const SDK_SRC = join(dirname(fileURLToPath(import.meta.url)), "src");
const BUNDLE = "wasmhost-bundle.js";
const WORLD = "worker";
/** The specifier src/main.js imports the worker module by (resolved to SRC_DIR/ENTRY). */
const WORKER_MODULE = "wasmhost:worker-module";
const TABLE_PREFIX = 'globalThis[Symbol.for("wasmhost.sourceLines")] = ';

class BuildFailure extends Error {}

/** Bundle the SDK and the worker; returns { code, map, inputs } (map: the parsed source map). */
async function bundle(srcDir, entry, sdkDir) {
  const entryPath = resolve(srcDir, entry);
  const workerModule = {
    name: "wasmhost-worker-module",
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${WORKER_MODULE}$`) }, () => ({ path: entryPath }));
    },
  };
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [join(SDK_SRC, "main.js")],
      outfile: join(srcDir, BUNDLE),
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["browser", "module", "main"],
      conditions: ["worker", "browser"],
      target: "es2022",
      external: ["wasmhost:worker/*"],
      define: { WASMHOST_ENTRY: JSON.stringify(entry) },
      plugins: [workerModule, insideOnly(srcDir, sdkDir)],
      sourcemap: "external",
      sourcesContent: false,
      absWorkingDir: srcDir,
      logLevel: "silent",
      charset: "utf8",
    });
  } catch (error) {
    if (!error.errors) throw error;
    throw new BuildFailure(error.errors.map((m) => formatMessage(m, srcDir)).join("\n"));
  }
  const code = result.outputFiles.find((f) => f.path.endsWith(".js")).text;
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith(".map")).text);
  return { code, map, inputs: Object.keys(result.metafile.inputs) };
}

/**
 * An esbuild plugin that refuses any import resolved outside the guest folder (the SDK's own
 * files excepted): the build cache and the developer both take the folder to be the guest.
 */
function insideOnly(srcDir, sdkDir) {
  const again = Symbol("wasmhost.resolving");
  return {
    name: "wasmhost-inside-only",
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === again || args.path.startsWith("wasmhost:")) return undefined;
        const found = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          with: args.with,
          pluginData: again,
        });
        if (found.errors.length || found.external || found.namespace !== "file") return undefined;
        if (inside(found.path, srcDir) || inside(found.path, sdkDir)) return found;
        const where = relative(srcDir, found.path).split(sep).join("/");
        const fix = /(^|\/)node_modules\//.test(where)
          ? `it is a package installed above the guest folder: run \`npm install ${packageName(args.path)}\` in the guest folder`
          : "copy it into the guest folder";
        const text =
          `"${args.path}" resolves to ${where}, outside the guest folder ` +
          `(a guest is built only from the files in its folder); ${fix}`;
        return { errors: [{ text }] };
      });
    },
  };
}

function inside(path, folder) {
  return path === folder || path.startsWith(folder + sep);
}

/** `hono` for `hono/jsx`, `@scope/pkg` for `@scope/pkg/x`. */
function packageName(specifier) {
  const parts = specifier.split("/");
  return parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

/** An esbuild message as `file:line:column: error: text`, with the offending line. */
function formatMessage(message, srcDir) {
  const loc = message.location;
  let text = `${where(loc, srcDir)}error: ${message.text}`;
  if (loc?.lineText) {
    const caret = `${" ".repeat(loc.column)}${"^".repeat(Math.max(1, loc.length))}`;
    text += `\n    ${loc.lineText}\n    ${caret}`;
  }
  const bare = /^Could not resolve "([^./][^"]*)"$/.exec(message.text);
  if (bare && isBuiltin(bare[1])) {
    text +=
      `\n  note: "${bare[1]}" is a Node.js built-in module; Node.js built-ins are not available ` +
      "in a wasmhost guest (it runs the web platform's APIs, like a Cloudflare Worker without nodejs_compat)";
  } else if (bare) {
    text += `\n  note: packages are bundled from node_modules in the guest folder: run \`npm install ${packageName(bare[1])}\` there`;
  } else {
    for (const note of message.notes ?? []) {
      if (note.text) text += `\n  note: ${where(note.location, srcDir)}${note.text}`;
    }
  }
  return text;
}

/** `file:line:column: ` for a message location, or nothing. */
function where(loc, srcDir) {
  if (!loc) return "";
  const file = displayPath(resolve(srcDir, loc.file), srcDir);
  return `${file}:${loc.line}:${loc.column + 1}: `;
}

/** A path as the developer thinks of it: relative to the guest folder, or `wasmhost-sdk/…`. */
function displayPath(path, srcDir) {
  if (inside(path, SDK_SRC)) return `wasmhost-sdk/${relative(SDK_SRC, path).split(sep).join("/")}`;
  const rel = relative(srcDir, path);
  return rel.startsWith("..") ? path : rel.split(sep).join("/");
}

/**
 * esbuild marks where each module starts with a `// path` comment, the path relative to the
 * guest folder (so the SDK's is a machine path); each becomes the module's display path, on
 * the same line so the line table still fits.
 */
function neutralPathComments(code, inputs, srcDir) {
  const names = new Map(inputs.map((input) => [input, displayPath(resolve(srcDir, input), srcDir)]));
  return code.replace(/^\/\/ (.+)$/gm, (line, path) => {
    const name = names.get(path);
    return name === undefined ? line : `// ${name}`;
  });
}

/**
 * The line table: for each line of the bundle, the source file (index into `sources`) and
 * line it came from (taken from the first mapping on that line), or -1.
 */
function lineTable(map, srcDir) {
  const sources = map.sources.map((s) => displayPath(resolve(srcDir, s), srcDir));
  const files = [];
  const lines = [];
  let source = 0;
  let line = 0;
  for (const generated of map.mappings.split(";")) {
    let first;
    for (const segment of generated ? generated.split(",") : []) {
      const fields = decodeVlq(segment);
      if (fields.length < 4) continue;
      source += fields[1];
      line += fields[2];
      if (first === undefined) first = [source, line];
    }
    files.push(first ? first[0] : -1);
    lines.push(first ? first[1] + 1 : 0);
  }
  return { bundle: BUNDLE, sources, files, lines };
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** One source-map segment's base64 VLQ fields, as signed deltas. */
function decodeVlq(segment) {
  const fields = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return fields;
}

/** The line table appended to a bundle (see `bundleStep`), read back. */
function tableOf(source) {
  const last = source.trimEnd().split("\n").pop();
  if (!last.startsWith(TABLE_PREFIX)) return { sources: [], files: [], lines: [] };
  return JSON.parse(last.slice(TABLE_PREFIX.length).replace(/;$/, ""));
}

/** Bundle positions in `text` replaced by the original file:line. */
function mapPositions(text, table) {
  return text.replace(/(?:[^\s:]*\/)?wasmhost-bundle\.js:(\d+)(?::\d+)?/g, (whole, line) => {
    const index = Number(line) - 1;
    const source = table.sources[table.files[index]];
    return source === undefined ? whole : `${source}:${table.lines[index]}`;
  });
}

/** componentize-js's error, cut down to what the developer needs (the top-level exception). */
function explainComponentizeError(error, table) {
  const text = String(error?.message ?? error);
  const marker = "Exception while evaluating top-level script";
  const at = text.indexOf(marker);
  if (at === -1) return mapPositions(text, table);
  const lines = text.slice(at + marker.length).trim().split("\n");
  const kept = [];
  for (const line of lines) {
    if (line.startsWith("Additionally, some promises")) break;
    kept.push(line);
  }
  const detail = mapPositions(kept.join("\n"), table).replace(/^wasmhost-sdk\/\S+ /, "");
  return `the worker module failed while loading (its top level runs at build time):\n${detail}`;
}

/** `bundle SRC_DIR ENTRY WORK_DIR`: write WORK_DIR/wasmhost-bundle.js. */
async function bundleStep(src, entry, work) {
  const srcDir = await realpath(resolve(src));
  const sdkDir = await realpath(SDK_SRC);
  const { code, map, inputs } = await bundle(srcDir, entry, sdkDir);
  const table = lineTable(map, srcDir);
  const source = `${neutralPathComments(code, inputs, srcDir)}\n${TABLE_PREFIX}${JSON.stringify(table)};\n`;
  await writeFile(join(resolve(work), BUNDLE), source);
}

/** `componentize WORK_DIR WIT_DIR OUT.wasm`: turn WORK_DIR/wasmhost-bundle.js into OUT.wasm. */
async function componentizeStep(work, witDir, out) {
  const { componentize } = await import("@bytecodealliance/componentize-js");
  const witPath = resolve(witDir);
  const outPath = resolve(out);
  // componentize-js maps its current directory into the build sandbox and strips it from the
  // script's path when the source is inside it: run it from the work folder, so the bundle is
  // all it sees (its own scratch folder goes to TMPDIR, which the caller points inside it).
  process.chdir(resolve(work));
  const table = tableOf(await readFile(BUNDLE, "utf8"));
  let component;
  try {
    ({ component } = await componentize({
      sourcePath: BUNDLE,
      witPath,
      worldName: WORLD,
      disableFeatures: ["http", "fetch-event"],
    }));
  } catch (error) {
    throw new BuildFailure(explainComponentizeError(error, table));
  }
  await writeFile(outPath, component);
}

const STEPS = {
  bundle: [bundleStep, "bundle SRC_DIR ENTRY WORK_DIR"],
  componentize: [componentizeStep, "componentize WORK_DIR WIT_DIR OUT.wasm"],
};

async function main([step, ...args]) {
  const [run, usage] = STEPS[step] ?? [];
  if (!run || args.length !== 3) {
    const all = Object.values(STEPS).map(([, u]) => `  node build.mjs ${u}`);
    throw new BuildFailure(`usage:\n${all.join("\n")}`);
  }
  await run(...args);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof BuildFailure ? error.message : (error?.stack ?? String(error)));
  process.exit(1);
});
