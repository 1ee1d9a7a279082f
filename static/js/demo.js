// Demo course page: let the person open launches in a new window instead of the frame,
// and after a deep-linking response bring the whole course page back to show the new item.
(function () {
  var option = document.getElementById("new-window-option");
  var box = document.getElementById("demo-new-window");
  var forms = Array.prototype.slice.call(document.querySelectorAll("form.demo-launch"));
  if (option && box) {
    forms.forEach(function (form) {
      var hint = form.querySelector("input[name=lti_message_hint]");
      form.dataset.frameHint = hint.value;
    });
    option.hidden = false;
    box.addEventListener("change", function () {
      forms.forEach(function (form) {
        var hint = form.querySelector("input[name=lti_message_hint]");
        form.target = box.checked ? "_blank" : "tool-frame";
        hint.value = box.checked ? form.dataset.windowHint : form.dataset.frameHint;
      });
    });
  }
  var back = document.querySelector("a[data-return-top]");
  if (back && window.top !== window.self) {
    window.top.location.href = back.href;
  }
})();
