"use strict";
// What every client script shares: reading the LRS to talk to, running named steps, and failing
// loudly. A script prints one JSON line (what it created) on success and exits 0; on any failure it
// names the step, prints the error and any HTTP answer, and exits 1.

const assert = require("node:assert/strict");
const crypto = require("node:crypto");

/** Read `--name value` options, falling back to LRS_* environment variables. */
function options(names) {
  const argv = process.argv.slice(2);
  const found = {};
  for (let i = 0; i < argv.length; i += 1) {
    if (!argv[i].startsWith("--")) {
      fail("arguments", new Error(`unexpected argument ${JSON.stringify(argv[i])}; use --name value`));
    }
    found[argv[i].slice(2)] = argv[i + 1];
    i += 1;
  }
  const chosen = {};
  for (const [name, { env, required, fallback }] of Object.entries(names)) {
    const value = found[name] ?? (env ? process.env[env] : undefined) ?? fallback;
    if (required && (value === undefined || value === "")) {
      fail("arguments", new Error(`--${name}${env ? ` (or ${env})` : ""} is required`));
    }
    chosen[name] = value;
  }
  return chosen;
}

/** The LRS endpoint and credential every script needs. */
function lrsOptions(extra = {}) {
  const chosen = options({
    endpoint: { env: "LRS_ENDPOINT", required: true },
    key: { env: "LRS_KEY", required: true },
    secret: { env: "LRS_SECRET", required: true },
    ...extra,
  });
  chosen.endpoint = chosen.endpoint.endsWith("/") ? chosen.endpoint : `${chosen.endpoint}/`;
  chosen.basicAuth = `Basic ${Buffer.from(`${chosen.key}:${chosen.secret}`).toString("base64")}`;
  return chosen;
}

function describeHttp(error) {
  const response = error && (error.response || error.xhr);
  if (!response) return "";
  const status = response.status;
  let body = response.data ?? response.responseText ?? "";
  if (typeof body !== "string") body = JSON.stringify(body);
  return `\n  HTTP ${status}: ${body.slice(0, 1000)}`;
}

function fail(step, error) {
  process.stderr.write(`FAILED at step "${step}": ${error && error.stack ? error.stack : error}${describeHttp(error)}\n`);
  process.exit(1);
}

/** Run `body` as a named step; any throw or rejection ends the script with that name. */
async function step(name, body) {
  try {
    return await body();
  } catch (error) {
    fail(name, error);
    return undefined;
  }
}

/** Await a promise that must be rejected with an HTTP error of `status` (axios or tincan style). */
async function expectStatus(status, promise) {
  try {
    await promise;
  } catch (error) {
    const actual = error && error.response ? error.response.status : undefined;
    assert.equal(actual, status, `expected HTTP ${status}, got ${actual ?? error}${describeHttp(error)}`);
    return error.response;
  }
  assert.fail(`expected HTTP ${status}, but the request succeeded`);
  return undefined;
}

function succeed(summary) {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
}

process.on("unhandledRejection", (error) => fail("unhandled rejection", error));

module.exports = { assert, uuid: () => crypto.randomUUID(), options, lrsOptions, step, expectStatus, succeed, fail };
