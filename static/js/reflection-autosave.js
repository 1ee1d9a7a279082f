/* Autosave for the reflection editor: a debounced JSON POST of the working copy.
 *
 * The server keeps it as a draft, apart from the saved version. Each request carries the
 * revision the page last saw; when another window changed the reflection since, the server
 * answers 409 and autosave stops, so nothing is overwritten without the learner knowing.
 */
(function () {
  "use strict";

  var DEFAULT_DELAY_MS = 2000;

  function Autosave(root) {
    this.root = root;
    this.form = root.closest("form");
    this.url = root.getAttribute("data-autosave-url");
    this.delay = parseInt(root.getAttribute("data-autosave-delay") || "", 10) || DEFAULT_DELAY_MS;
    this.status = root.querySelector(".autosave-status");
    this.revision = this.form.querySelector("input[name=base_revision]");
    this.csrf = this.form.querySelector("input[name=csrf_token]");
    this.timer = null;
    this.inFlight = false;
    this.again = false;
    this.stopped = false;
    this.dirty = false;
    this.saves = 0;
    this.listen();
  }

  Autosave.prototype.listen = function () {
    var self = this;
    var changed = function () { self.schedule(); };
    this.form.addEventListener("input", changed);
    this.form.addEventListener("richtext:change", changed);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { self.flush(true); }
    });
    this.form.addEventListener("submit", function () {
      // The form post carries the text itself; a late autosave would only race it.
      self.stopped = true;
      window.clearTimeout(self.timer);
    });
  };

  Autosave.prototype.say = function (key) {
    if (this.status) { this.status.textContent = this.root.getAttribute("data-" + key + "-text") || ""; }
    this.root.setAttribute("data-autosave-state", key);
  };

  Autosave.prototype.schedule = function () {
    if (this.stopped) { return; }
    this.dirty = true;
    window.clearTimeout(this.timer);
    var self = this;
    this.timer = window.setTimeout(function () { self.flush(false); }, this.delay);
  };

  Autosave.prototype.payload = function () {
    var fields = {};
    Array.prototype.forEach.call(this.root.querySelectorAll("textarea"), function (area) {
      fields[area.name] = area.value;
    });
    var title = this.form.querySelector("input[name=title]");
    var method = this.form.querySelector("[data-method-choice]");
    var course = this.form.querySelector("select[name=course]");
    var revision = parseInt(this.revision && this.revision.value, 10);
    return {
      title: title ? title.value : "",
      fields: fields,
      base_revision: isNaN(revision) ? null : revision,
      method: method ? method.value : this.root.getAttribute("data-method"),
      course: course ? parseInt(course.value, 10) || null : null
    };
  };

  Autosave.prototype.flush = function (leaving) {
    window.clearTimeout(this.timer);
    if (this.stopped || !this.dirty) { return; }
    if (this.inFlight) { this.again = true; return; }
    this.dirty = false;
    this.inFlight = true;
    this.say("saving");
    var self = this;
    fetch(this.url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: leaving,
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": this.csrf ? this.csrf.value : ""
      },
      body: JSON.stringify(this.payload())
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        self.done(response.status, body);
      });
    }).catch(function () {
      self.dirty = true;
      self.say("error");
    }).then(function () {
      self.inFlight = false;
      if (self.again && !self.stopped) {
        self.again = false;
        self.flush(false);
      }
    });
  };

  Autosave.prototype.done = function (status, body) {
    if (status === 200 || status === 201) {
      if (this.revision && typeof body.revision === "number") { this.revision.value = String(body.revision); }
      if (status === 201 && body.autosave_url) {
        this.created(body);
      }
      this.saves += 1;
      this.root.setAttribute("data-autosave-count", String(this.saves));
      this.say("saved");
      return;
    }
    if (status === 409) {
      this.stopped = true;
      this.say("conflict");
      return;
    }
    this.dirty = true;
    this.say("error");
  };

  /* The first autosave created the reflection: from now on this page edits that one. */
  Autosave.prototype.created = function (body) {
    this.url = body.autosave_url;
    this.root.setAttribute("data-autosave-url", body.autosave_url);
    if (this.root.hasAttribute("data-new") && body.edit_url) {
      this.form.setAttribute("action", body.edit_url);
      window.history.replaceState(null, "", body.edit_url);
      var method = this.form.querySelector("[data-method-choice]");
      if (method) { method.disabled = true; }
      var course = this.form.querySelector("select[name=course]");
      if (course) { course.disabled = true; }
    }
  };

  function switchMethod(select) {
    // A new reflection shows the fields of the chosen method: reload with it before anything is typed.
    select.addEventListener("change", function () {
      var url = new URL(window.location.href);
      url.searchParams.set("method", select.value);
      window.location.assign(url.toString());
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".reflection-editor[data-autosave-url]"), function (root) {
      if (!root.autosave) { root.autosave = new Autosave(root); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-method-choice]"), switchMethod);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
