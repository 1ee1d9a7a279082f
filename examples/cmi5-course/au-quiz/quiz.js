/* The test AU: moveOn Passed with the mastery score from LMS.LaunchData. */
(function () {
  "use strict";
  var ANSWERS = { q1: "b", q2: "a", q3: "a", q4: "b", q5: "a" };
  var status = document.getElementById("status");
  var form = document.getElementById("quiz");
  var au = new window.LeerpaspoortCmi5.AU();
  function fail(error) { status.textContent = error.message; }

  au.start().then(function (launchData) {
    var mastery = typeof launchData.masteryScore === "number" ? Math.round(launchData.masteryScore * 100) : 50;
    status.textContent = "Je hebt minstens " + mastery + "% goed nodig.";
    form.querySelector("button").disabled = false;
    document.getElementById("exit").disabled = false;
  }).catch(fail);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    form.querySelector("button").disabled = true;
    var keys = Object.keys(ANSWERS);
    var correct = keys.filter(function (key) { return form.elements[key].value === ANSWERS[key]; }).length;
    var scaled = Math.round((correct / keys.length) * 100) / 100;
    au.judge(scaled).then(function (passed) {
      status.textContent = (passed ? "Geslaagd" : "Niet geslaagd") + ": " + correct + " van de " + keys.length + " goed.";
    }).catch(fail);
  });
  document.getElementById("exit").addEventListener("click", function () { au.exit().catch(fail); });
})();
