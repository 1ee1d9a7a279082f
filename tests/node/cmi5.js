"use strict";
// @xapi/cmi5 (xapijs) as an AU launched by our LMS side: it takes the launch URL's parameters,
// POSTs once to the fetch URL for its auth token, reads the LMS.LaunchData state document and the
// cmi5LearnerPreferences agent profile, sends Initialized, then Passed and Completed with the
// score it is given, and Terminated. In node it needs an XMLHttpRequest: xhr2 plays the browser.
//   node cmi5.js --endpoint http://127.0.0.1:5000/xapi/ --fetch URL --actor JSON \
//     --registration UUID --activity-id IRI [--scaled 0.9] [--move-on Passed] [--mastery-score 0.8]

global.XMLHttpRequest = require("xhr2");
// The package ships ESM and UMD builds only; the UMD build loads under CommonJS.
const Cmi5 = require("@xapi/cmi5/dist/Cmi5.umd.js");
const { assert, options, step, succeed } = require("./lib/harness");

const launch = options({
  endpoint: { env: "LRS_ENDPOINT", required: true },
  fetch: { env: "CMI5_FETCH", required: true },
  actor: { env: "CMI5_ACTOR", required: true },
  registration: { env: "CMI5_REGISTRATION", required: true },
  "activity-id": { env: "CMI5_ACTIVITY_ID", required: true },
  scaled: { fallback: "0.9" },
  "move-on": { fallback: "Passed" },
  "mastery-score": {},
});

async function main() {
  const cmi5 = await step("construct from the launch parameters", async () => new Cmi5({
    endpoint: launch.endpoint,
    fetch: launch.fetch,
    actor: JSON.parse(launch.actor),
    registration: launch.registration,
    activityId: launch["activity-id"],
  }));

  await step("initialize: fetch, LMS.LaunchData, learner preferences, Initialized", async () => {
    await cmi5.initialize();
    assert.ok(cmi5.isAuthenticated, "the fetch URL handed out an auth token");
    const data = cmi5.getLaunchData();
    assert.equal(data.launchMode, "Normal");
    assert.equal(data.moveOn, launch["move-on"]);
    if (launch["mastery-score"] !== undefined) assert.equal(data.masteryScore, Number(launch["mastery-score"]));
    assert.ok(data.contextTemplate.extensions["https://w3id.org/xapi/cmi5/context/extensions/sessionid"], "a session id in the context template");
    assert.ok(data.returnURL, "a returnURL to leave through");
    // No cmi5LearnerPreferences profile was written, so the library falls back to an empty one.
    assert.equal(typeof cmi5.getLearnerPreferences(), "object");
  });

  await step("a second fetch of the one-time URL is refused", async () => {
    const response = await fetch(launch.fetch, { method: "POST" });
    const body = await response.json();
    // cmi5 8.2.3: error-code 1, "already in use".
    assert.equal(body["error-code"], "1");
  });

  await step("progress and an answered question (cmi5 allowed statements)", async () => {
    await cmi5.progress(50);
    const answered = await cmi5.interactionChoice(
      "toets",
      "q1",
      ["listen"],
      ["listen"],
      [
        { id: "listen", description: { "nl-NL": "Laten uitpraten en samenvatten" } },
        { id: "interrupt", description: { "nl-NL": "Direct een oplossing geven" } },
      ],
      { "nl-NL": "Wat doe je eerst?" },
      undefined,
      true,
    );
    assert.equal(answered.data.length, 1);
  });

  const scaled = Number(launch.scaled);
  await step("passed with a score", async () => {
    const sent = await cmi5.pass({ scaled });
    assert.equal(sent.data.length, 1);
  });

  await step("completed", async () => {
    const sent = await cmi5.complete();
    assert.equal(sent.data.length, 1);
  });

  await step("terminate", async () => {
    const sent = await cmi5.terminate();
    assert.equal(sent.data.length, 1);
  });

  await step("after Terminated the session takes no more statements", async () => {
    const response = await cmi5.progress(100).then(
      () => assert.fail("a statement after Terminated was accepted"),
      (error) => error.response,
    );
    assert.ok(response, "an HTTP answer");
    // cmi5 9.3.8 ends the session at Terminated; our LMS also ends the session's token then, so
    // the refusal is 401 (token gone) rather than the 403 a still-valid token would get.
    assert.ok([401, 403].includes(response.status), `HTTP ${response.status}: ${JSON.stringify(response.data)}`);
  });

  succeed({ client: "@xapi/cmi5", registration: launch.registration, activityId: launch["activity-id"], scaled });
}

main();
