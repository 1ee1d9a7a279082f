// LTI Dynamic Registration 1.0, 3.7: tell the platform the registration is finished so it
// can close this frame or window. The target origin is the platform's, never "*".
(function () {
  var done = document.getElementById("registration-done");
  if (!done) { return; }
  var target = window.opener || window.parent;
  if (!target || target === window) { return; }
  target.postMessage({ subject: "org.imsglobal.lti.close" }, done.dataset.platformOrigin);
})();
