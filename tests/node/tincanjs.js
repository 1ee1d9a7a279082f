"use strict";
// TinCanJS (Rustici's tincanjs, the library behind Storyline-era Tin Can content) against our
// LRS. It knows xAPI versions up to 1.0.2 and sends that header; it stores a statement with
// PUT /statements?statementId=..., the path most published content takes. Here: about, saving
// (and saving again, as content does on retry), retrieving, querying with `more`, a batch, state.
//   node tincanjs.js --endpoint http://127.0.0.1:5000/xapi/ --key K --secret S

const TinCan = require("tincanjs");
const { assert, uuid, lrsOptions, step, succeed } = require("./lib/harness");

const { endpoint, key, secret } = lrsOptions();
TinCan.DEBUG = false;
const lrs = new TinCan.LRS({ endpoint, username: key, password: secret, allowFail: false });

const run = uuid();
const learner = new TinCan.Agent({ name: "Ahmed Yilmaz", mbox: `mailto:ahmed.${run}@example.nl` });
const activity = new TinCan.Activity({
  id: `https://leerpaspoort.example/npm/tincanjs/${run}`,
  definition: { name: { "nl-NL": "Veilig werken" }, type: "http://adlnet.gov/expapi/activities/course" },
});
const registration = uuid();

/** Call a TinCanJS method the asynchronous way (with cfg.callback) and resolve with [error, result]. */
function call(method, ...args) {
  return new Promise((resolve) => {
    const cfg = args.pop() || {};
    lrs[method](...args, { ...cfg, callback: (error, result) => resolve([error, result]) });
  });
}

/** As `call`, but any error (TinCanJS passes the HTTP status) fails the step. */
async function ok(method, ...args) {
  const [error, result] = await call(method, ...args);
  if (error !== null && error !== undefined) {
    const detail = result && result.responseText !== undefined ? ` HTTP ${result.status}: ${result.responseText}` : "";
    throw new Error(`${method} failed: ${JSON.stringify(error)}${detail}`);
  }
  return result;
}

function statement(verb, extra = {}) {
  return new TinCan.Statement({
    id: uuid(),
    actor: learner,
    verb: new TinCan.Verb({ id: `http://adlnet.gov/expapi/verbs/${verb}`, display: { "en-US": verb } }),
    target: activity,
    context: new TinCan.Context({ registration }),
    ...extra,
  });
}

async function main() {
  assert.equal(lrs.version, "1.0.2", "TinCanJS speaks its newest version, 1.0.2");

  await step("about answers the versions", async () => {
    const about = await ok("about", {});
    assert.ok(about.version.includes("1.0.2"), `about.version: ${JSON.stringify(about.version)}`);
  });

  const attempted = statement("attempted");
  await step("save a statement with PUT ?statementId=", async () => {
    const xhr = await ok("saveStatement", attempted, {});
    assert.equal(xhr.status, 204);
    // Communication 3.3.s3.b6 (1.0.3): a 1.0.x request is answered with the LRS's 1.0 version.
    assert.equal(xhr.getResponseHeader("X-Experience-API-Version"), "1.0.3");
  });

  await step("save the same statement again (content retries)", async () => {
    const xhr = await ok("saveStatement", attempted, {});
    assert.equal(xhr.status, 204, "the same id with the same content is accepted again");
  });

  await step("a changed statement under a stored id is a conflict", async () => {
    const changed = new TinCan.Statement({ ...JSON.parse(JSON.stringify(attempted.asVersion("1.0.2"))), verb: { id: "http://adlnet.gov/expapi/verbs/failed" } });
    const [error, xhr] = await call("saveStatement", changed, {});
    assert.ok(error, "the LRS refuses a different statement with the same id");
    assert.equal(xhr.status, 409);
  });

  await step("retrieve it", async () => {
    const got = await ok("retrieveStatement", attempted.id, {});
    assert.ok(got instanceof TinCan.Statement);
    assert.equal(got.id, attempted.id);
    assert.equal(got.verb.id, "http://adlnet.gov/expapi/verbs/attempted");
    assert.equal(got.actor.mbox, learner.mbox);
    assert.equal(got.context.registration, registration);
    assert.ok(got.stored, "stored is set by the LRS");
  });

  const batch = [statement("experienced"), statement("experienced"), statement("completed")];
  await step("save a batch with POST", async () => {
    const xhr = await ok("saveStatements", batch, {});
    assert.equal(xhr.status, 200);
    assert.deepEqual(JSON.parse(xhr.responseText), batch.map((s) => s.id));
  });

  await step("query by agent, activity and registration, one at a time through more", async () => {
    const seen = [];
    let page = await ok("queryStatements", {
      params: { agent: learner, activity, registration, verb: new TinCan.Verb({ id: "http://adlnet.gov/expapi/verbs/experienced" }), limit: 1, ascending: true },
    });
    seen.push(...page.statements.map((s) => s.id));
    while (page.more) {
      page = await ok("moreStatements", { url: page.more });
      seen.push(...page.statements.map((s) => s.id));
    }
    assert.deepEqual(seen, [batch[0].id, batch[1].id]);
    const all = await ok("queryStatements", { params: { registration, related_activities: true, activity } });
    assert.deepEqual(all.statements.map((s) => s.id).sort(), [attempted.id, ...batch.map((s) => s.id)].sort());
  });

  await step("bookmark as plain text state, per registration", async () => {
    await ok("saveState", "bookmark", "slide-7", { agent: learner, activity, registration, contentType: "text/plain" });
    const state = await ok("retrieveState", "bookmark", { agent: learner, activity, registration });
    assert.equal(state.contents, "slide-7");
    assert.ok(state.etag, "the state document has an ETag");
    const elsewhere = await ok("retrieveState", "bookmark", { agent: learner, activity, registration: uuid() });
    assert.equal(elsewhere, null, "another registration has no bookmark");
  });

  await step("suspend data as JSON: PUT, POST to merge, If-Match with the ETag", async () => {
    const cfg = { agent: learner, activity, registration, contentType: "application/json" };
    await ok("saveState", "suspend_data", { progress: 40, visited: ["s1", "s2"] }, cfg);
    await ok("saveState", "suspend_data", { score: 0.5 }, { ...cfg, method: "POST" });
    const merged = await ok("retrieveState", "suspend_data", { agent: learner, activity, registration });
    assert.deepEqual(merged.contents, { progress: 40, visited: ["s1", "s2"], score: 0.5 });
    await ok("saveState", "suspend_data", { progress: 80 }, { ...cfg, lastSHA1: merged.etag });
    const [error, xhr] = await call("saveState", "suspend_data", { progress: 10 }, { ...cfg, lastSHA1: merged.etag });
    assert.ok(error, "a stale ETag is refused");
    assert.equal(xhr.status, 412);
    const current = await ok("retrieveState", "suspend_data", { agent: learner, activity, registration });
    assert.deepEqual(current.contents, { progress: 80 });
  });

  await step("list and drop state", async () => {
    const ids = await ok("retrieveStateIds", { agent: learner, activity, registration });
    assert.deepEqual([...ids].sort(), ["bookmark", "suspend_data"]);
    await ok("dropState", "bookmark", { agent: learner, activity, registration });
    assert.equal(await ok("retrieveState", "bookmark", { agent: learner, activity, registration }), null);
  });

  await step("activity profile: If-None-Match * to create, If-Match with the ETag to update", async () => {
    const cfg = { activity, contentType: "application/json" };
    await ok("saveActivityProfile", "highscores", { top: [["Ahmed", 7]] }, cfg);
    const [error, xhr] = await call("saveActivityProfile", "highscores", { top: [] }, cfg);
    assert.ok(error, "creating again over an existing profile is refused");
    assert.equal(xhr.status, 412);
    const profile = await ok("retrieveActivityProfile", "highscores", { activity });
    assert.deepEqual(profile.contents, { top: [["Ahmed", 7]] });
    await ok("saveActivityProfile", "highscores", { top: [["Ahmed", 9]] }, { ...cfg, lastSHA1: profile.etag });
    assert.deepEqual((await ok("retrieveActivityProfile", "highscores", { activity })).contents, { top: [["Ahmed", 9]] });
    assert.deepEqual(await ok("retrieveActivityProfileIds", { activity }), ["highscores"]);
  });

  await step("agent profile as plain text", async () => {
    await ok("saveAgentProfile", "language", "nl-NL", { agent: learner, contentType: "text/plain" });
    assert.equal((await ok("retrieveAgentProfile", "language", { agent: learner })).contents, "nl-NL");
  });

  succeed({ client: "tincanjs", version: lrs.version, sent: [attempted.id, ...batch.map((s) => s.id)], activityId: activity.id, registration, learner: { mbox: learner.mbox } });
}

main();
