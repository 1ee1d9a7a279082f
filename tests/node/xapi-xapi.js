"use strict";
// @xapi/xapi (xapijs) against our LRS: statements (single, batch, by id, filtered query with
// `more`, voiding), state with and without a registration, activity and agent profiles with
// ETags, agents, activities and about. The library sends the `version` it is given as the
// X-Experience-API-Version of every request (its TypeScript type lists 1.0.0-1.0.3 only, but
// "2.0.0" goes through unchanged). Run once per version:
//   node xapi-xapi.js --endpoint http://127.0.0.1:5000/xapi/ --key K --secret S --version 2.0.0

const crypto = require("node:crypto");
const XAPI = require("@xapi/xapi");
const { assert, uuid, lrsOptions, step, expectStatus, succeed } = require("./lib/harness");

const { endpoint, basicAuth, version } = lrsOptions({ version: { env: "XAPI_VERSION", fallback: "1.0.3" } });
// The LRS answers 1.0.x clients with its 1.0 version and 2.0.x clients with 2.0.0.
const expectedVersion = version.startsWith("2.") ? "2.0.0" : "1.0.3";
const xapi = new XAPI({ endpoint, auth: basicAuth, version });
// Under node, axios replaces the multipart/mixed Content-Type of a Blob body with
// application/octet-stream; the library's fetch adapter sends it as a browser would.
const xapiFetch = new XAPI({ endpoint, auth: basicAuth, version, adapter: "fetch" });

const run = uuid();
const learner = { objectType: "Agent", name: "Sanne de Vries", mbox: `mailto:sanne.${run}@example.nl` };
const activityId = `https://leerpaspoort.example/npm/xapi/${run}`;
const registration = uuid();
const experienced = { id: "http://adlnet.gov/expapi/verbs/experienced", display: { "en-US": "experienced" } };

function statement(verb, extra = {}) {
  return {
    actor: learner,
    verb,
    object: { objectType: "Activity", id: activityId, definition: { name: { "en-US": "Customer conversations" } } },
    context: { registration },
    ...extra,
  };
}

function answeredVersion(response) {
  return response.headers["x-experience-api-version"];
}

async function main() {
  await step("about lists the versions", async () => {
    const about = await xapi.getAbout();
    assert.ok(about.data.version.includes("1.0.3"), `about.version: ${JSON.stringify(about.data.version)}`);
    // Communication 2.8.s5.b1 (1.0.3) lets a 1.0 LRS list 1.0.x versions only; 2.0 clients see 2.0.0.
    assert.equal(about.data.version.includes("2.0.0"), expectedVersion === "2.0.0", `about.version: ${JSON.stringify(about.data.version)}`);
  });

  const firstId = uuid();
  await step("send one statement", async () => {
    const sent = await xapi.sendStatement({ statement: statement(experienced, { id: firstId }) });
    assert.deepEqual(sent.data, [firstId]);
    assert.equal(answeredVersion(sent), expectedVersion, "X-Experience-API-Version of the answer");
  });

  const batch = await step("send a batch; ids come back in order", async () => {
    const scores = [0.4, 0.7, 0.9];
    const sent = await xapi.sendStatements({
      statements: scores.map((scaled) => statement(XAPI.Verbs.SCORED, { result: { score: { scaled } } })),
    });
    assert.equal(sent.data.length, 3);
    sent.data.forEach((id) => assert.match(id, /^[0-9a-f-]{36}$/));
    return sent.data;
  });

  await step("get one statement by id", async () => {
    // useCacheBuster adds a `cachebuster` query parameter, as content does against browser caches.
    const got = await xapi.getStatement({ statementId: batch[1], useCacheBuster: true });
    assert.equal(got.data.id, batch[1]);
    assert.equal(got.data.result.score.scaled, 0.7);
    assert.deepEqual(got.data.actor.mbox, learner.mbox);
    assert.ok(got.data.stored, "the LRS sets stored");
    assert.ok(got.data.authority, "the LRS sets authority");
    assert.ok(got.headers["x-experience-api-consistent-through"], "Consistent-Through header");
  });

  await step("query with filters, two at a time, following more", async () => {
    const seen = [];
    let page = await xapi.getStatements({ agent: learner, verb: XAPI.Verbs.SCORED.id, activity: activityId, limit: 2, ascending: true });
    assert.equal(page.data.statements.length, 2);
    assert.ok(page.data.more, "a first page of two out of three has a more URL");
    seen.push(...page.data.statements.map((s) => s.id));
    while (page.data.more) {
      page = await xapi.getMoreStatements({ more: page.data.more });
      seen.push(...page.data.statements.map((s) => s.id));
    }
    assert.deepEqual(seen, batch, "the three scored statements, oldest first, none twice");
    const byRegistration = await xapi.getStatements({ registration, activity: activityId, format: "ids" });
    assert.deepEqual(
      byRegistration.data.statements.map((s) => s.id).sort(),
      [firstId, ...batch].sort(),
      "registration filter finds all four",
    );
  });

  const withAttachment = await step("a statement with an attachment (multipart/mixed) and back", async () => {
    const certificate = `Certificate of completion for ${learner.name}`;
    const sha2 = crypto.createHash("sha256").update(certificate).digest("hex");
    const sent = await xapiFetch.sendStatement({
      statement: statement(XAPI.Verbs.COMPLETED, {
        attachments: [{
          usageType: XAPI.AttachmentUsages.CERTIFICATE_OF_COMPLETION,
          display: { "en-US": "Certificate" },
          contentType: "text/plain",
          length: Buffer.byteLength(certificate),
          sha2,
        }],
      }),
      attachments: [certificate],
    });
    const [id] = sent.data;
    const got = await xapiFetch.getStatement({ statementId: id, attachments: true });
    // The library splits the multipart answer into [statement, ...attachment contents].
    assert.equal(got.data[0].id, id);
    assert.equal(got.data[0].attachments[0].sha2, sha2);
    assert.equal(got.data[1], certificate);
    return id;
  });

  const voidingId = await step("void a statement", async () => {
    const voided = await xapi.voidStatement({ actor: learner, statementId: firstId });
    const [id] = voided.data;
    await expectStatus(404, xapi.getStatement({ statementId: firstId }));
    const asVoided = await xapi.getVoidedStatement({ voidedStatementId: firstId });
    assert.equal(asVoided.data.id, firstId);
    // Communication 2.1.3 (1.0.3): a voided statement leaves filter results, but the voiding
    // statement refers to it by StatementRef and so matches the filters it matched.
    const filtered = await xapi.getStatements({ agent: learner, verb: experienced.id });
    assert.deepEqual(filtered.data.statements.map((s) => s.id), [id]);
    return id;
  });

  const stateId = "bookmark";
  await step("state without a registration: put, merge, get, list, delete", async () => {
    await xapi.setState({ agent: learner, activityId, stateId, state: { page: 3, answers: { q1: "b" } } });
    await xapi.createState({ agent: learner, activityId, stateId, state: { answers: { q2: "c" }, done: false } });
    const got = await xapi.getState({ agent: learner, activityId, stateId, useCacheBuster: true });
    // Communication 2.2.s7: POST merges the top-level properties of two JSON objects.
    assert.deepEqual(got.data, { page: 3, answers: { q2: "c" }, done: false });
    assert.ok(got.headers.etag, "a state document has an ETag");
    const ids = await xapi.getStates({ agent: learner, activityId });
    assert.deepEqual(ids.data, [stateId]);
    await xapi.deleteState({ agent: learner, activityId, stateId });
    await expectStatus(404, xapi.getState({ agent: learner, activityId, stateId }));
  });

  await step("state per registration stays apart", async () => {
    await xapi.setState({ agent: learner, activityId, stateId, registration, state: { suspendData: "a1b2" } });
    await xapi.setState({ agent: learner, activityId, stateId, state: { suspendData: "other" } });
    const inRegistration = await xapi.getState({ agent: learner, activityId, stateId, registration });
    assert.deepEqual(inRegistration.data, { suspendData: "a1b2" });
    await xapi.deleteStates({ agent: learner, activityId, registration });
    await expectStatus(404, xapi.getState({ agent: learner, activityId, stateId, registration }));
    const outside = await xapi.getState({ agent: learner, activityId, stateId });
    assert.deepEqual(outside.data, { suspendData: "other" }, "deleting a registration's state keeps the rest");
  });

  const profileId = "leaderboard";
  await step("activity profile with ETags", async () => {
    await xapi.setActivityProfile({ activityId, profileId, profile: { top: ["sanne"] }, etag: "*", matchHeader: "If-None-Match" });
    await expectStatus(
      412,
      xapi.setActivityProfile({ activityId, profileId, profile: { top: [] }, etag: "*", matchHeader: "If-None-Match" }),
    );
    const got = await xapi.getActivityProfile({ activityId, profileId });
    assert.deepEqual(got.data, { top: ["sanne"] });
    const etag = got.headers.etag;
    assert.ok(etag, "an activity profile has an ETag");
    await xapi.setActivityProfile({ activityId, profileId, profile: { top: ["sanne", "ahmed"] }, etag, matchHeader: "If-Match" });
    await expectStatus(
      412,
      xapi.setActivityProfile({ activityId, profileId, profile: { top: [] }, etag, matchHeader: "If-Match" }),
    );
    const ids = await xapi.getActivityProfiles({ activityId });
    assert.deepEqual(ids.data, [profileId]);
    const current = await xapi.getActivityProfile({ activityId, profileId, useCacheBuster: true });
    assert.deepEqual(current.data, { top: ["sanne", "ahmed"] });
    await xapi.deleteActivityProfile({ activityId, profileId, etag: current.headers.etag });
    await expectStatus(404, xapi.getActivityProfile({ activityId, profileId }));
  });

  await step("agent profile with ETags", async () => {
    const preferences = "cmi5LearnerPreferences";
    await xapi.setAgentProfile({ agent: learner, profileId: preferences, profile: { languagePreference: "nl-NL" }, etag: "*", matchHeader: "If-None-Match" });
    const got = await xapi.getAgentProfile({ agent: learner, profileId: preferences });
    assert.deepEqual(got.data, { languagePreference: "nl-NL" });
    await xapi.createAgentProfile({ agent: learner, profileId: preferences, profile: { audioPreference: "on" }, etag: got.headers.etag, matchHeader: "If-Match" });
    const merged = await xapi.getAgentProfile({ agent: learner, profileId: preferences });
    assert.deepEqual(merged.data, { languagePreference: "nl-NL", audioPreference: "on" });
    await expectStatus(
      412,
      xapi.deleteAgentProfile({ agent: learner, profileId: preferences, etag: got.headers.etag }),
    );
    const ids = await xapi.getAgentProfiles({ agent: learner });
    assert.deepEqual(ids.data, [preferences]);
  });

  await step("agents and activities", async () => {
    const person = await xapi.getAgent({ agent: learner });
    assert.equal(person.data.objectType, "Person");
    assert.deepEqual(person.data.mbox, [learner.mbox]);
    const activity = await xapi.getActivity({ activityId });
    assert.equal(activity.data.id, activityId);
    assert.deepEqual(activity.data.definition.name, { "en-US": "Customer conversations" });
  });

  succeed({ client: "@xapi/xapi", version, sent: [firstId, ...batch, withAttachment], attachment: withAttachment, voided: firstId, voiding: voidingId, activityId, registration, learner });
}

main();
