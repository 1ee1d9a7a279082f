// LTI client-side OIDC storage (1EdTech "LTI Client Side postMessages"): keep state and
// nonce in the platform's storage frame, and read the state back at launch, so a launch
// completes in a frame that gets no cookies at all.
(function () {
  var TIMEOUT_MS = 2000;

  function platformFrame(targetName) {
    var parent = window.parent || window.opener;
    if (!parent) { return null; }
    if (targetName === "_parent") { return parent; }
    try { return parent.frames[targetName] || parent; } catch (e) { return parent; }
  }

  function send(targetName, message) {
    return new Promise(function (resolve, reject) {
      var frame = platformFrame(targetName);
      if (!frame) { reject(new Error("no platform window")); return; }
      var messageId = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random());
      message.message_id = messageId;
      var timer = setTimeout(function () { window.removeEventListener("message", onMessage); reject(new Error("timeout")); }, TIMEOUT_MS);
      function onMessage(event) {
        var data = event.data || {};
        if (data.message_id !== messageId || data.subject !== message.subject + ".response") { return; }
        // Only the platform that received our message may answer it.
        if (event.source !== frame) { return; }
        clearTimeout(timer);
        window.removeEventListener("message", onMessage);
        if (data.error) { reject(new Error(data.error.message || "platform storage error")); } else { resolve(data); }
      }
      window.addEventListener("message", onMessage);
      frame.postMessage(message, "*");
    });
  }

  var login = document.getElementById("lti-storage-login");
  if (login) {
    var d = login.dataset;
    send(d.target, { subject: "lti.put_data", key: "state_" + d.state, value: d.state })
      .then(function () { return send(d.target, { subject: "lti.put_data", key: "nonce_" + d.nonce, value: d.nonce }); })
      .finally(function () { window.location.replace(d.redirect); });
  }

  var launch = document.getElementById("lti-storage-launch");
  if (launch) {
    var l = launch.dataset;
    send(l.target, { subject: "lti.get_data", key: "state_" + l.state })
      .then(function (data) { launch.elements.storage_state.value = data.value || ""; })
      .catch(function () { launch.elements.storage_state.value = ""; })
      .finally(function () { launch.submit(); });
  }
})();
