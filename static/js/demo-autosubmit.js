// The demo platform answers the tool's authentication request with a form post
// (OIDC response_mode=form_post); submit it at once, the button stays for no-JS.
(function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
})();
