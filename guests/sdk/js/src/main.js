// The bundle's entry: wires the WIT world to the worker module (`export default { fetch }`).
//
// Import order matters: timers.js replaces the global timer functions and platform.js fixes
// Request and Response before the worker's modules run, so every timer they start is counted
// (see timers.js) and they see the fixed classes (see platform.js).

import "./timers.js";
import "./platform.js";
import * as workerModule from "wasmhost:worker-module";
import { fetch as assetsFetch } from "wasmhost:worker/assets@0.1.0";
import { append, create, read, size } from "wasmhost:worker/bodies@0.1.0";
import { vars as hostVars } from "wasmhost:worker/env@0.1.0";
import { checkWorker, serve } from "./serve.js";

const worker = checkWorker(workerModule, WASMHOST_ENTRY);

/** The deployment's variables and secrets: an instance serves one deployment, so ask once. */
let deploymentVars;
function vars() {
  deploymentVars ??= hostVars();
  return deploymentVars;
}

/** The WIT imports, handed to each request (its bodies reach them through its scope). */
const host = { size, read, create, append, assetsFetch, vars };

/** The `handler` export: one call per HTTP request. */
export const handler = {
  fetch(req) {
    return serve(worker, req, host);
  },
};
