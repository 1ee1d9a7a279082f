"use strict";
// A Tin Can module as Storyline-era content runs it: TinCanJS reads the launch URL our LMS
// builds (endpoint, auth, actor, registration, activity_id), resumes from state, and reports
// with PUT /statements?statementId= at version 1.0.2.
//   node tincanjs-launch.js --url 'http://127.0.0.1:5000/modules/content/.../index.html?endpoint=...'

const TinCan = require("tincanjs");
const { assert, options, step, succeed } = require("./lib/harness");

const { url } = options({ url: { env: "TINCAN_LAUNCH_URL", required: true } });
TinCan.DEBUG = false;

async function main() {
  const tincan = await step("read the launch URL", async () => {
    const launched = new TinCan({ url });
    assert.equal(launched.recordStores.length, 1, "one LRS from endpoint and auth");
    assert.equal(launched.recordStores[0].version, "1.0.2");
    assert.ok(launched.actor && launched.actor.account, "the actor is an account agent");
    assert.ok(launched.activity && launched.activity.id, "activity_id");
    assert.match(launched.registration, /^[0-9a-f-]{36}$/);
    return launched;
  });
  const stateOf = (key) => new Promise((resolve, reject) => {
    tincan.getState(key, { callback: (error, state) => (error ? reject(new Error(`getState: ${error}`)) : resolve(state)) });
  });
  const setState = (key, value, cfg = {}) => new Promise((resolve, reject) => {
    tincan.setState(key, value, { ...cfg, callback: (error) => (error ? reject(new Error(`setState: ${error}`)) : resolve()) });
  });
  const send = (statement) => new Promise((resolve, reject) => {
    tincan.sendStatement(statement, (results, sent) => {
      const failed = results.find((r) => r.err);
      if (failed) reject(new Error(`sendStatement: ${failed.err} HTTP ${failed.xhr && failed.xhr.status}: ${failed.xhr && failed.xhr.responseText}`));
      else resolve(sent);
    });
  });

  await step("nothing to resume on a first launch", async () => {
    assert.equal(await stateOf("resume"), null);
  });

  const sent = [];
  await step("experienced", async () => {
    sent.push((await send({ verb: { id: "http://adlnet.gov/expapi/verbs/experienced", display: { "en-US": "experienced" } } })).id);
  });

  await step("bookmark and suspend data in the registration's state", async () => {
    await setState("resume", "slide-3", { contentType: "text/plain" });
    await setState("suspend_data", { answers: [1, 0] }, { contentType: "application/json" });
    await setState("suspend_data", { answers: [1, 0, 2] }, { contentType: "application/json", overwriteJSON: false });
    assert.equal((await stateOf("resume")).contents, "slide-3");
    assert.deepEqual((await stateOf("suspend_data")).contents, { answers: [1, 0, 2] });
  });

  await step("completed and passed with a score", async () => {
    sent.push((await send({
      verb: { id: "http://adlnet.gov/expapi/verbs/completed", display: { "en-US": "completed" } },
      result: { completion: true, duration: "PT4M12S" },
    })).id);
    sent.push((await send({
      verb: { id: "http://adlnet.gov/expapi/verbs/passed", display: { "en-US": "passed" } },
      result: { success: true, score: { scaled: 0.67, raw: 2, min: 0, max: 3 } },
    })).id);
  });

  succeed({ client: "tincanjs launch", sent, registration: tincan.registration, activityId: tincan.activity.id });
}

main();
