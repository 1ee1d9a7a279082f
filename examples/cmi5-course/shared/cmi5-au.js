/* The AU side of cmi5 (cmi5 spec, section 8-10): fetch the auth token once, read
   LMS.LaunchData, send Initialized, then Completed / Passed / Failed and Terminated with the
   context template the LMS gave us, and leave through returnURL. */
(function (global) {
  "use strict";
  var X = global.LeerpaspoortXAPI;
  var VERBS = "http://adlnet.gov/expapi/verbs/";
  var CMI5_CATEGORY = { id: "https://w3id.org/xapi/cmi5/context/categories/cmi5" };
  var MOVEON_CATEGORY = { id: "https://w3id.org/xapi/cmi5/context/categories/moveon" };
  var MASTERY_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
  // What this AU already recorded in the registration: Completed and Passed go once per
  // registration, and Failed never after Passed (cmi5 9.3); the LMS refuses a second one.
  var OUTCOME_STATE = "leerpaspoort.cmi5.outcome";

  function AU() {
    this.params = X.launchParameters();
    this.started = Date.now();
    this.terminated = false;
  }

  AU.prototype.start = function () {
    var self = this;
    var p = this.params;
    if (!p.endpoint || !p.fetch || !p.actor || !p.registration || !p.activityId) {
      return Promise.reject(new Error("Deze les moet vanuit Leerpaspoort worden gestart."));
    }
    this.actor = JSON.parse(p.actor);
    this.activityId = p.activityId;
    this.registration = p.registration;
    // The fetch URL answers exactly once; a reload must go back to the LMS for a new launch.
    return fetch(p.fetch, { method: "POST", credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error("Start de les opnieuw vanuit je cursus (fetch " + response.status + ")."); }
        return response.json();
      })
      .then(function (body) {
        if (!body["auth-token"]) { throw new Error(body["error-text"] || "Geen toegangstoken ontvangen."); }
        self.client = new X.XAPIClient(p.endpoint, "Basic " + body["auth-token"], "1.0.3");
        return self.client.getState(self.activityId, self.actor, self.registration, "LMS.LaunchData");
      })
      .then(function (launchData) {
        if (!launchData || !launchData.contextTemplate) { throw new Error("LMS.LaunchData ontbreekt."); }
        self.launchData = launchData;
        return self.client.getAgentProfile(self.actor, "cmi5LearnerPreferences").catch(function () { return null; });
      })
      .then(function (preferences) {
        self.preferences = preferences || {};
        return self.client.getState(self.activityId, self.actor, self.registration, OUTCOME_STATE);
      })
      .then(function (outcome) {
        self.outcome = outcome && typeof outcome === "object" ? outcome : {};
        return self.send("initialized", "heeft gestart");
      })
      .then(function () { return self.launchData; });
  };

  AU.prototype.context = function (moveOn) {
    var template = JSON.parse(JSON.stringify(this.launchData.contextTemplate));
    template.registration = this.registration;
    template.contextActivities = template.contextActivities || {};
    var category = template.contextActivities.category || [];
    category = category.concat([CMI5_CATEGORY]);
    if (moveOn) { category = category.concat([MOVEON_CATEGORY]); }
    template.contextActivities.category = category;
    return template;
  };

  AU.prototype.send = function (verbName, display, result, moveOn) {
    if (this.terminated) { return Promise.reject(new Error("De sessie is al beëindigd.")); }
    var statement = {
      actor: this.actor,
      verb: { id: VERBS + verbName, display: { "nl-NL": display, "en-US": verbName } },
      object: { objectType: "Activity", id: this.activityId },
      context: this.context(moveOn)
    };
    if (result) { statement.result = result; }
    if (verbName === "passed" || verbName === "failed") {
      if (typeof this.launchData.masteryScore === "number") {
        statement.context.extensions = statement.context.extensions || {};
        statement.context.extensions[MASTERY_EXTENSION] = this.launchData.masteryScore;
      }
    }
    return this.client.sendStatement(statement);
  };

  AU.prototype.duration = function () { return X.isoDuration(Date.now() - this.started); };

  /* Browse and Review (cmi5 10, launchMode) record no completion or judgement. */
  AU.prototype.records = function () { return this.launchData.launchMode === "Normal"; };

  AU.prototype.remember = function (name) {
    this.outcome[name] = true;
    return this.client.putState(this.activityId, this.actor, this.registration, OUTCOME_STATE, this.outcome);
  };

  AU.prototype.complete = function () {
    var self = this;
    if (!this.records() || this.outcome.completed) { return Promise.resolve(); }
    return this.send("completed", "heeft afgerond", { completion: true, duration: this.duration() }, true)
      .then(function () { return self.remember("completed"); });
  };

  AU.prototype.judge = function (scaled) {
    var self = this;
    var mastery = this.launchData.masteryScore;
    var passed = typeof mastery === "number" ? scaled >= mastery : scaled >= 0.5;
    if (!this.records() || this.outcome.passed) { return Promise.resolve(passed); }
    var result = { success: passed, score: { scaled: scaled }, duration: this.duration() };
    return this.send(passed ? "passed" : "failed", passed ? "is geslaagd voor" : "is gezakt voor", result, true)
      .then(function () { return passed ? self.remember("passed") : null; })
      .then(function () { return passed; });
  };

  AU.prototype.exit = function () {
    var self = this;
    return this.send("terminated", "heeft beëindigd", { duration: this.duration() }).then(function () {
      self.terminated = true;
      if (self.launchData.returnURL) { global.location.assign(self.launchData.returnURL); }
    });
  };

  global.LeerpaspoortCmi5 = { AU: AU };
})(window);
