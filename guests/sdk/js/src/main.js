// The bundle's entry: wires the WIT world to the worker module (`export default { fetch }`).
//
// Import order matters: timers.js replaces the global timer functions, platform.js fixes
// Request and Response and outbound.js replaces fetch() before the worker's modules run, so
// every timer they start is counted (see timers.js) and they see the fixed classes and fetch.

import "./timers.js";
import "./platform.js";
import "./outbound.js";
import * as workerModule from "wasmhost:worker-module";
import { fetch as assetsFetch } from "wasmhost:worker/assets@0.1.0";
import { append, create, read, size } from "wasmhost:worker/bodies@0.1.0";
import { kvNamespaces as hostKvNamespaces, vars as hostVars } from "wasmhost:worker/env@0.1.0";
import { delete as kvDelete, get as kvGet, list as kvList, put as kvPut } from "wasmhost:worker/kv@0.1.0";
import { fetch as outboundFetch } from "wasmhost:worker/outbound@0.1.0";
import { checkWorker, serve } from "./serve.js";

const worker = checkWorker(workerModule, WASMHOST_ENTRY);

/** The deployment's variables, secrets and KV bindings: an instance serves one deployment. */
let deploymentVars;
let deploymentKv;
const vars = () => (deploymentVars ??= hostVars());
const kvNamespaces = () => (deploymentKv ??= hostKvNamespaces());

/** The WIT imports, handed to each request (its bodies reach them through its scope). */
const host = {
  ...{ size, read, create, append, assetsFetch, vars, kvNamespaces },
  ...{ kvGet, kvPut, kvDelete, kvList, outboundFetch },
};

/** The `handler` export: one call per HTTP request. */
export const handler = {
  fetch(req) {
    return serve(worker, req, host);
  },
};
