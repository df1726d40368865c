#!/usr/bin/env node
// Build a JavaScript guest folder into a wasmhost component (run by scripts/build-guest).
//
//   node guests/sdk/js/build.mjs SRC_DIR ENTRY WIT_DIR OUT.wasm
//
// 1. esbuild bundles the SDK's entry (src/main.js) with the worker module SRC_DIR/ENTRY and
//    everything it imports (relative modules, JSON, packages in SRC_DIR/node_modules) into one
//    ES module; the WIT imports (wasmhost:worker/...) stay external. Syntax and resolution
//    errors are reported as file:line:column.
// 2. A line table from esbuild's source map is appended, so stack traces at run time name the
//    developer's files and lines rather than the bundle's (see src/errors.js).
// 3. componentize-js turns the bundle into a component of the `worker` world, with outbound
//    HTTP and the fetch-event handler left out. It runs the module's top level at build time,
//    so a missing default export or a throwing top level fails the build.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { componentize } from "@bytecodealliance/componentize-js";
import * as esbuild from "esbuild";

const SDK_SRC = join(dirname(fileURLToPath(import.meta.url)), "src");
const BUNDLE = "wasmhost-bundle.js";
const WORLD = "worker";
/** The specifier src/main.js imports the worker module by (resolved to SRC_DIR/ENTRY). */
const WORKER_MODULE = "wasmhost:worker-module";

class BuildFailure extends Error {}

/** Bundle the SDK and the worker; returns { code, map } (map: esbuild's source map, parsed). */
async function bundle(srcDir, entry, outDir) {
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
      outfile: join(outDir, BUNDLE),
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      mainFields: ["browser", "module", "main"],
      conditions: ["worker", "browser"],
      target: "es2022",
      external: ["wasmhost:worker/*"],
      define: { WASMHOST_ENTRY: JSON.stringify(entry) },
      plugins: [workerModule],
      sourcemap: "external",
      sourcesContent: false,
      absWorkingDir: resolve(srcDir),
      logLevel: "silent",
      charset: "utf8",
    });
  } catch (error) {
    if (!error.errors) throw error;
    throw new BuildFailure(error.errors.map((m) => formatMessage(m, srcDir)).join("\n"));
  }
  const code = result.outputFiles.find((f) => f.path.endsWith(".js")).text;
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith(".map")).text);
  return { code, map };
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
  if (bare) {
    text += `\n  note: packages are bundled from node_modules in the guest folder: run \`npm install ${bare[1]}\` there`;
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
  if (path.startsWith(SDK_SRC + sep)) return `wasmhost-sdk/${relative(SDK_SRC, path)}`;
  const rel = relative(resolve(srcDir), path);
  return rel.startsWith("..") ? path : rel.split(sep).join("/");
}

/**
 * The line table: for each line of the bundle, the source file (index into `sources`) and
 * line it came from (taken from the first mapping on that line), or -1.
 */
function lineTable(map, outDir, srcDir) {
  const sources = map.sources.map((s) => displayPath(resolve(outDir, s), srcDir));
  const files = [];
  const lines = [];
  let source = 0;
  let line = 0;
  for (const generated of map.mappings.split(";")) {
    let first;
    let column = 0;
    for (const segment of generated ? generated.split(",") : []) {
      const fields = decodeVlq(segment);
      column += fields[0];
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

async function main(argv) {
  if (argv.length !== 4) {
    throw new BuildFailure("usage: node build.mjs SRC_DIR ENTRY WIT_DIR OUT.wasm");
  }
  const [srcDir, entry, witDir, out] = argv;
  const outDir = await mkdtemp(join(tmpdir(), "wasmhost-js-"));
  try {
    const { code, map } = await bundle(srcDir, entry, outDir);
    const table = lineTable(map, outDir, srcDir);
    const source = `${code}\nglobalThis[Symbol.for("wasmhost.sourceLines")] = ${JSON.stringify(table)};\n`;
    const bundlePath = join(outDir, BUNDLE);
    await writeFile(bundlePath, source);
    // componentize-js maps the current directory into the build sandbox when the source is
    // inside it; run it from the temporary folder so nothing else is visible.
    process.chdir(outDir);
    let component;
    try {
      ({ component } = await componentize({
        sourcePath: bundlePath,
        witPath: resolve(witDir),
        worldName: WORLD,
        disableFeatures: ["http", "fetch-event"],
      }));
    } catch (error) {
      throw new BuildFailure(explainComponentizeError(error, table));
    }
    await writeFile(resolve(out), component);
  } finally {
    process.chdir(tmpdir());
    await rm(outDir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2).map((arg, i) => (i === 0 || i >= 2 ? resolve(arg) : arg));
main(args).catch((error) => {
  console.error(error instanceof BuildFailure ? error.message : (error?.stack ?? String(error)));
  process.exit(1);
});
