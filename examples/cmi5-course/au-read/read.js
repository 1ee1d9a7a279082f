/* The reading AU: moveOn Completed. */
(function () {
  "use strict";
  var status = document.getElementById("status");
  var au = new window.LeerpaspoortCmi5.AU();
  function fail(error) { status.textContent = error.message; }
  au.start().then(function () {
    status.textContent = "Lees de les en klik daarna op de knop.";
    document.getElementById("done").disabled = false;
    document.getElementById("exit").disabled = false;
  }).catch(fail);
  document.getElementById("done").addEventListener("click", function (event) {
    event.target.disabled = true;
    au.complete().then(function () { status.textContent = "Afgerond. Je kunt afsluiten."; }).catch(fail);
  });
  document.getElementById("exit").addEventListener("click", function () { au.exit().catch(fail); });
})();
