// Deep Linking 2.0, 4.4: the response goes back to the platform as a form POST of the
// JWT field. Submit it at once; the visible button covers browsers without JavaScript.
(function () {
  var form = document.getElementById("deep-link-return");
  if (form) { form.submit(); }
})();
