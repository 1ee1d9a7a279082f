/* A small rich-text editor for reflections: bold, italic, lists and links.
 *
 * Each <textarea data-richtext> becomes a toolbar and a contenteditable area; the textarea is
 * hidden and always holds the HTML, so the form posts it as usual and works without script.
 * The server sanitises everything it receives (nh3); the editor also keeps only the tags its
 * toolbar makes, so pasted or loaded markup never becomes live in the page.
 */
(function () {
  "use strict";

  var ALLOWED = { P: 1, BR: 1, STRONG: 1, B: 1, EM: 1, I: 1, UL: 1, OL: 1, LI: 1, A: 1, DIV: 1 };
  var SAFE_URL = /^(https?:|mailto:)/i;

  /* Copy only allowed elements and text from an inert document into the live one. */
  function importClean(source, target) {
    Array.prototype.forEach.call(source.childNodes, function (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        target.appendChild(document.createTextNode(node.nodeValue));
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) {
        return;
      }
      if (!ALLOWED[node.tagName]) {
        if (node.tagName !== "SCRIPT" && node.tagName !== "STYLE") {
          importClean(node, target);
        }
        return;
      }
      var tag = node.tagName === "DIV" ? "P" : node.tagName;
      var copy = document.createElement(tag);
      if (tag === "A") {
        var href = (node.getAttribute("href") || "").trim();
        if (!SAFE_URL.test(href)) {
          importClean(node, target);
          return;
        }
        copy.setAttribute("href", href);
        copy.setAttribute("rel", "noopener noreferrer nofollow");
      }
      importClean(node, copy);
      target.appendChild(copy);
    });
  }

  function setCleanHtml(area, html) {
    // DOMParser builds an inert document: no scripts run and no handlers fire while parsing.
    var parsed = new DOMParser().parseFromString("<body>" + (html || "") + "</body>", "text/html");
    area.textContent = "";
    importClean(parsed.body, area);
  }

  function serialise(area) {
    var holder = document.createElement("div");
    importClean(area, holder);
    var text = holder.textContent.replace(/\s+/g, "");
    return text ? holder.innerHTML : "";
  }

  function button(name, label, shortcut) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "richtext-button richtext-" + name;
    b.setAttribute("data-command", name);
    b.setAttribute("aria-label", label);
    b.title = shortcut ? label + " (" + shortcut + ")" : label;
    if (name === "createLink" || name === "unlink") {
      // No symbol says "link" in every font: these two show their (translated) name.
      b.textContent = label;
    }
    return b;
  }

  function Editor(textarea, texts) {
    this.textarea = textarea;
    this.texts = texts;
    this.savedRange = null;
    this.build();
  }

  Editor.prototype.build = function () {
    var self = this;
    var t = this.texts;
    var id = this.textarea.id;
    var wrapper = document.createElement("div");
    wrapper.className = "richtext-editor";

    var toolbar = document.createElement("div");
    toolbar.className = "richtext-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", t.toolbar);
    toolbar.setAttribute("aria-controls", id + "-editable");
    var buttons = [
      button("bold", t.bold, "Ctrl+B"),
      button("italic", t.italic, "Ctrl+I"),
      button("insertUnorderedList", t.bullets),
      button("insertOrderedList", t.numbers),
      button("createLink", t.link, "Ctrl+K"),
      button("unlink", t.unlink)
    ];
    buttons.forEach(function (b, index) {
      b.tabIndex = index === 0 ? 0 : -1;
      if (b.getAttribute("data-command") !== "createLink" && b.getAttribute("data-command") !== "unlink") {
        b.setAttribute("aria-pressed", "false");
      }
      toolbar.appendChild(b);
    });
    this.buttons = buttons;

    var area = document.createElement("div");
    area.id = id + "-editable";
    area.className = "richtext-area";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    var label = document.getElementById(id + "-label");
    if (label) {
      area.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function () { area.focus(); });
    }
    if (this.textarea.getAttribute("aria-describedby")) {
      area.setAttribute("aria-describedby", this.textarea.getAttribute("aria-describedby"));
    }
    setCleanHtml(area, this.textarea.value);
    this.area = area;

    var panel = document.createElement("div");
    panel.className = "richtext-link-panel";
    panel.hidden = true;
    var panelLabel = document.createElement("label");
    panelLabel.setAttribute("for", id + "-link-url");
    panelLabel.textContent = t.linkAddress;
    var input = document.createElement("input");
    input.type = "url";
    input.id = id + "-link-url";
    input.placeholder = "https://";
    var apply = document.createElement("button");
    apply.type = "button";
    apply.textContent = t.linkApply;
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = t.cancel;
    var problem = document.createElement("span");
    problem.className = "error";
    problem.setAttribute("role", "alert");
    panel.appendChild(panelLabel);
    panel.appendChild(input);
    panel.appendChild(apply);
    panel.appendChild(cancel);
    panel.appendChild(problem);
    this.panel = panel;
    this.linkInput = input;
    this.linkProblem = problem;

    wrapper.appendChild(toolbar);
    wrapper.appendChild(panel);
    wrapper.appendChild(area);
    this.textarea.parentNode.insertBefore(wrapper, this.textarea);
    this.textarea.hidden = true;

    toolbar.addEventListener("mousedown", function (event) {
      // Keep the selection in the text while a button is clicked.
      if (event.target.closest("button")) { event.preventDefault(); }
    });
    toolbar.addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (b) { self.command(b.getAttribute("data-command")); }
    });
    toolbar.addEventListener("keydown", function (event) { self.moveInToolbar(event); });
    area.addEventListener("input", function () { self.sync(); });
    area.addEventListener("keyup", function () { self.updateState(); });
    area.addEventListener("mouseup", function () { self.updateState(); });
    area.addEventListener("focus", function () { self.updateState(); });
    area.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
        event.preventDefault();
        self.command("createLink");
      }
    });
    area.addEventListener("paste", function (event) {
      // Pasted markup comes from anywhere: insert it as plain text.
      event.preventDefault();
      var text = (event.clipboardData || window.clipboardData).getData("text/plain");
      document.execCommand("insertText", false, text);
    });
    area.addEventListener("drop", function (event) { event.preventDefault(); });
    apply.addEventListener("click", function () { self.applyLink(); });
    cancel.addEventListener("click", function () { self.closeLinkPanel(); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); self.applyLink(); }
      if (event.key === "Escape") { event.preventDefault(); self.closeLinkPanel(); }
    });
  };

  Editor.prototype.sync = function () {
    var html = serialise(this.area);
    if (html !== this.textarea.value) {
      this.textarea.value = html;
      this.textarea.dispatchEvent(new CustomEvent("richtext:change", { bubbles: true }));
    }
  };

  Editor.prototype.command = function (name) {
    if (name === "createLink") {
      this.openLinkPanel();
      return;
    }
    // Keyboard users stay in the toolbar after pressing a button (WAI-ARIA toolbar pattern).
    var from = document.activeElement;
    this.area.focus();
    document.execCommand("styleWithCSS", false, false);
    document.execCommand(name, false, null);
    this.sync();
    this.updateState();
    if (from && from.closest && from.closest(".richtext-toolbar")) { from.focus(); }
  };

  Editor.prototype.updateState = function () {
    this.buttons.forEach(function (b) {
      if (b.hasAttribute("aria-pressed")) {
        var on = false;
        try { on = document.queryCommandState(b.getAttribute("data-command")); } catch (e) { on = false; }
        b.setAttribute("aria-pressed", on ? "true" : "false");
      }
    });
  };

  Editor.prototype.moveInToolbar = function (event) {
    var keys = { ArrowRight: 1, ArrowLeft: -1, Home: "first", End: "last" };
    if (!(event.key in keys)) { return; }
    event.preventDefault();
    var index = this.buttons.indexOf(document.activeElement);
    var step = keys[event.key];
    var next = step === "first" ? 0 : step === "last" ? this.buttons.length - 1
      : (index + step + this.buttons.length) % this.buttons.length;
    this.buttons.forEach(function (b, i) { b.tabIndex = i === next ? 0 : -1; });
    this.buttons[next].focus();
  };

  Editor.prototype.openLinkPanel = function () {
    var selection = window.getSelection();
    this.savedRange = null;
    if (selection.rangeCount && this.area.contains(selection.anchorNode)) {
      this.savedRange = selection.getRangeAt(0).cloneRange();
    }
    this.linkProblem.textContent = "";
    this.linkInput.value = "";
    this.panel.hidden = false;
    this.linkInput.focus();
  };

  Editor.prototype.closeLinkPanel = function () {
    this.panel.hidden = true;
    this.area.focus();
    this.restoreSelection();
  };

  Editor.prototype.restoreSelection = function () {
    if (this.savedRange) {
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(this.savedRange);
    }
  };

  Editor.prototype.applyLink = function () {
    var url = this.linkInput.value.trim();
    if (!SAFE_URL.test(url)) {
      this.linkProblem.textContent = this.texts.linkInvalid;
      this.linkInput.focus();
      return;
    }
    this.panel.hidden = true;
    this.area.focus();
    this.restoreSelection();
    var selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) {
      document.execCommand("insertText", false, url);
      var range = selection.getRangeAt(0);
      range.setStart(range.endContainer, Math.max(0, range.endOffset - url.length));
      selection.removeAllRanges();
      selection.addRange(range);
    }
    document.execCommand("createLink", false, url);
    this.sync();
  };

  function texts(root) {
    var d = root.dataset;
    return {
      toolbar: d.textToolbar || "Formatting",
      bold: d.textBold || "Bold",
      italic: d.textItalic || "Italic",
      bullets: d.textBullets || "Bulleted list",
      numbers: d.textNumbers || "Numbered list",
      link: d.textLink || "Link",
      unlink: d.textUnlink || "Remove link",
      linkAddress: d.textLinkAddress || "Link address",
      linkApply: d.textLinkApply || "Add link",
      linkInvalid: d.textLinkInvalid || "Use an address that starts with https://, http:// or mailto:",
      cancel: d.textCancel || "Cancel"
    };
  }

  function init() {
    var config = document.getElementById("richtext-texts") || document.body;
    var labels = texts(config);
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-richtext]"), function (textarea) {
      if (!textarea.richtextEditor) {
        textarea.richtextEditor = new Editor(textarea, labels);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  window.LeerpaspoortRichtext = { init: init };
}());
