// Continue to the landing page once our session cookie is known to come back;
// otherwise (third-party cookies blocked in the LMS frame) offer a new window.
(function () {
  var box = document.getElementById("handoff");
  if (!box) { return; }
  fetch(box.dataset.check, { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      if (response.ok) {
        window.location.replace(box.dataset.next);
      } else {
        document.getElementById("handoff-wait").hidden = true;
        document.getElementById("handoff-blocked").hidden = false;
      }
    })
    .catch(function () {
      document.getElementById("handoff-wait").hidden = true;
      document.getElementById("handoff-blocked").hidden = false;
    });
})();
