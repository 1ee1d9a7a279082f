/* A Tin Can module: reads its launch parameters, resumes from a bookmark in the State API,
   and reports experienced, answered, completed and passed/failed with a score. */
(function () {
  "use strict";
  var X = window.LeerpaspoortXAPI;
  var params = X.launchParameters();
  var PAGES = 4;
  var PASS_MARK = 0.66;
  var ANSWERS = { q1: "75", q2: "3", q3: "nee" };
  var QUESTIONS = {
    q1: "Onder welke hoek zet je een ladder neer?",
    q2: "Hoeveel contactpunten houd je met de ladder?",
    q3: "Is een ladder geschikt als werkplek voor een klus van een uur?"
  };
  var VERB = "http://adlnet.gov/expapi/verbs/";
  var status = document.getElementById("status");
  var started = Date.now();
  var page = 1;
  var client, actor, activityId, registration;

  function say(text) { status.textContent = text; }

  function verb(name, display) {
    return { id: VERB + name, display: { "nl-NL": display, "en-US": name } };
  }

  function activity(id, name, type) {
    var definition = { name: { "nl-NL": name } };
    if (type) { definition.type = type; }
    return { objectType: "Activity", id: id, definition: definition };
  }

  function context() {
    var ctx = { contextActivities: { grouping: [{ id: activityId }] } };
    if (registration) { ctx.registration = registration; }
    return ctx;
  }

  function send(verbPart, object, result) {
    var statement = { actor: actor, verb: verbPart, object: object, context: context() };
    if (result) { statement.result = result; }
    return client.sendStatement(statement);
  }

  function bookmark() {
    return client.putState(activityId, actor, registration, "bookmark", { page: page });
  }

  function show(number) {
    page = Math.min(Math.max(number, 1), PAGES);
    document.querySelectorAll(".page").forEach(function (section) {
      section.hidden = Number(section.dataset.page) !== page;
    });
    document.getElementById("previous").disabled = page === 1;
    document.getElementById("next").disabled = page === PAGES;
    var heading = document.querySelector('.page[data-page="' + page + '"] h1');
    if (page < PAGES) {
      send(verb("experienced", "heeft bekeken"), activity(activityId + "/pagina-" + page, heading.textContent))
        .catch(report);
    }
    bookmark().catch(report);
  }

  function report(error) { say("Er ging iets mis met het opslaan: " + error.message); }

  function submitQuiz(event) {
    event.preventDefault();
    var form = event.target;
    var correct = 0;
    var answered = Object.keys(ANSWERS).map(function (key) {
      var chosen = form.elements[key].value;
      var success = chosen === ANSWERS[key];
      if (success) { correct += 1; }
      var question = activity(activityId + "/toets/" + key, QUESTIONS[key], "http://adlnet.gov/expapi/activities/cmi.interaction");
      question.definition.interactionType = "choice";
      question.definition.correctResponsesPattern = [ANSWERS[key]];
      return send(verb("answered", "heeft beantwoord"), question, { response: chosen, success: success });
    });
    var scaled = Math.round((correct / 3) * 100) / 100;
    var passed = scaled >= PASS_MARK;
    var duration = X.isoDuration(Date.now() - started);
    var course = activity(activityId, "Veilig werken op hoogte", "http://adlnet.gov/expapi/activities/course");
    form.querySelector("button").disabled = true;
    Promise.all(answered)
      .then(function () {
        return send(verb("completed", "heeft afgerond"), course, { completion: true, duration: duration });
      })
      .then(function () {
        var outcome = passed ? verb("passed", "is geslaagd voor") : verb("failed", "is gezakt voor");
        return send(outcome, course, {
          success: passed, completion: true, duration: duration,
          score: { scaled: scaled, raw: correct, min: 0, max: 3 }
        });
      })
      .then(function () {
        var result = document.getElementById("result");
        result.hidden = false;
        result.textContent = (passed ? "Geslaagd" : "Niet geslaagd") + ": " + correct + " van de 3 goed.";
        say("Je resultaat is opgeslagen.");
      })
      .catch(report);
  }

  function start() {
    if (!params.endpoint || !params.auth || !params.actor) {
      say("Deze module moet vanuit Leerpaspoort worden gestart.");
      return;
    }
    client = new X.XAPIClient(params.endpoint, params.auth, "1.0.3");
    actor = JSON.parse(params.actor);
    activityId = params.activity_id || "https://leerpaspoort.example/modules/veilig-werken-op-hoogte";
    registration = params.registration;
    document.getElementById("previous").addEventListener("click", function () { show(page - 1); });
    document.getElementById("next").addEventListener("click", function () { show(page + 1); });
    document.getElementById("quiz").addEventListener("submit", submitQuiz);
    client.getState(activityId, actor, registration, "bookmark")
      .then(function (saved) {
        var resumeAt = saved && saved.page ? Number(saved.page) : 1;
        say(resumeAt > 1 ? "Je gaat verder waar je was gebleven." : "Welkom.");
        show(resumeAt);
      })
      .catch(function (error) { report(error); show(1); });
  }

  start();
})();
