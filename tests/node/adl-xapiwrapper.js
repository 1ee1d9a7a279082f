"use strict";
// ADL's node xAPI wrapper (adl-xapiwrapper) against our LRS. It sends X-Experience-API-Version
// 1.0.1, a JSON Content-Type on every request (GETs too), a string state as the misspelt
// "application/octect-stream", an object state as a POST (merge), and If-Match as the bare SHA-1
// it computes itself. Here: about, statements (batch, query, more), state and an agent profile.
//   node adl-xapiwrapper.js --endpoint http://127.0.0.1:5000/xapi/ --key K --secret S

const adl = require("adl-xapiwrapper");
const { assert, uuid, lrsOptions, step, succeed } = require("./lib/harness");

const { endpoint, key, secret } = lrsOptions();
adl.debugLevel = "error";
const wrapper = new adl.XAPIWrapper({ url: endpoint, auth: { user: key, pass: secret } });

const run = uuid();
const learner = { objectType: "Agent", name: "Fleur Jansen", mbox: `mailto:fleur.${run}@example.nl` };
const activityId = `https://leerpaspoort.example/npm/adl/${run}`;
const registration = uuid();

/** Call a wrapper method and resolve with the HTTP response; a transport error fails the step. */
function call(method, ...args) {
  return new Promise((resolve, reject) => {
    wrapper[method](...args, (error, response, body) => {
      if (error) reject(error);
      else resolve({ status: response.statusCode, headers: response.headers, body });
    });
  });
}

function expect(response, status, what) {
  assert.equal(response.status, status, `${what}: HTTP ${response.status}: ${String(response.body).slice(0, 1000)}`);
  return response;
}

const json = (response) => JSON.parse(response.body);

async function main() {
  await step("testConfig: about lists a 1.0 version and statements can be read", async () => {
    const usable = await new Promise((resolve) => wrapper.testConfig(resolve));
    assert.equal(usable, true, "the wrapper judges the LRS usable");
  });

  const statements = ["attempted", "experienced", "passed"].map((verb, i) => ({
    id: adl.ruuid(),
    actor: learner,
    verb: { id: `http://adlnet.gov/expapi/verbs/${verb}`, display: { "en-US": verb } },
    object: { id: activityId, definition: { name: { "en-US": "Fire safety" } } },
    context: { registration },
    ...(verb === "passed" ? { result: { success: true, score: { raw: 9, min: 0, max: 10 } } } : {}),
    timestamp: new Date(Date.now() - (3 - i) * 1000).toISOString(),
  }));

  await step("send statements (POST, version 1.0.1)", async () => {
    const sent = expect(await call("sendStatements", statements), 200, "sendStatements");
    assert.deepEqual(json(sent), statements.map((s) => s.id));
    assert.equal(sent.headers["x-experience-api-version"], "1.0.3", "a 1.0.1 request is answered as 1.0.3");
  });

  await step("query two at a time and follow more", async () => {
    const seen = [];
    let page = json(expect(await call("getStatements", { agent: JSON.stringify(learner), activity: activityId, limit: 2, ascending: true }, null), 200, "getStatements"));
    seen.push(...page.statements.map((s) => s.id));
    assert.ok(page.more, "two of three leave a more URL");
    while (page.more) {
      page = json(expect(await call("getStatements", null, page.more), 200, "getStatements more"));
      seen.push(...page.statements.map((s) => s.id));
    }
    assert.deepEqual(seen, statements.map((s) => s.id));
  });

  await step("a string state (application/octect-stream) with the wrapper's own SHA-1 as If-Match", async () => {
    expect(await call("sendState", activityId, learner, "location", registration, "page-4", null, "*"), 204, "create with If-None-Match *");
    const got = expect(await call("getState", activityId, learner, "location", registration, null), 200, "getState");
    assert.equal(got.body, "page-4");
    // Communication 3.1 (1.0.3): the ETag is the SHA-1 of the contents, which clients compute themselves.
    assert.equal(got.headers.etag, `"${adl.hash("page-4")}"`);
    expect(await call("sendState", activityId, learner, "location", registration, "page-5", adl.hash("page-4"), null), 204, "update with If-Match");
    expect(await call("sendState", activityId, learner, "location", registration, "page-6", adl.hash("page-4"), null), 412, "stale If-Match");
    const now = expect(await call("getState", activityId, learner, "location", registration, null), 200, "getState again");
    assert.equal(now.body, "page-5");
  });

  await step("an object state is merged with POST", async () => {
    expect(await call("sendState", activityId, learner, "progress", registration, { chapters: [1] }, null, null), 204, "first POST");
    expect(await call("sendState", activityId, learner, "progress", registration, { score: 0.9 }, null, null), 204, "second POST");
    const merged = expect(await call("getState", activityId, learner, "progress", registration, null), 200, "getState");
    assert.deepEqual(json(merged), { chapters: [1], score: 0.9 });
    const ids = expect(await call("getState", activityId, learner, null, registration, new Date(Date.now() - 60000)), 200, "state ids since a minute ago");
    assert.deepEqual(json(ids).sort(), ["location", "progress"]);
  });

  await step("an agent profile and the agent's Person", async () => {
    expect(await call("sendAgentProfile", learner, "preferences", "nl-NL", null, "*"), 204, "create agent profile");
    const got = expect(await call("getAgentProfile", learner, "preferences", null), 200, "getAgentProfile");
    assert.equal(got.body, "nl-NL");
    const person = json(expect(await call("getAgents", learner), 200, "getAgents"));
    assert.deepEqual(person.mbox, [learner.mbox]);
    const activity = json(expect(await call("getActivities", activityId), 200, "getActivities"));
    assert.deepEqual(activity.definition.name, { "en-US": "Fire safety" });
  });

  succeed({ client: "adl-xapiwrapper", version: adl.xapiversion, sent: statements.map((s) => s.id), activityId, registration, learner });
}

main();
