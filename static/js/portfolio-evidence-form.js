// Show only the fields that belong to the chosen kind of evidence. Without this script every
// field stays visible and the server ignores the ones that do not apply.
(function () {
  "use strict";
  var type = document.getElementById("type");
  if (!type) { return; }
  var credentials = ["diploma", "certificate", "licence"];
  function update() {
    var value = type.value;
    document.querySelectorAll(".pf-only-link").forEach(function (el) {
      el.classList.toggle("pf-hidden", value !== "link");
    });
    document.querySelectorAll(".pf-only-credential").forEach(function (el) {
      el.classList.toggle("pf-hidden", credentials.indexOf(value) === -1);
    });
  }
  type.addEventListener("change", update);
  update();
}());
