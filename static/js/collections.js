// After moving an item up or down (a normal form post), put keyboard focus back on the
// same button of the moved item, so a keyboard user can keep moving it. When that button
// is now disabled (the item reached the top or bottom), focus its other move button.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var moved = params.get("moved");
  var direction = params.get("dir") === "down" ? "down" : "up";
  if (!moved || !/^\d+$/.test(moved)) { return; }
  function restoreFocus() {
    var item = document.getElementById("item-" + moved);
    if (!item) { return; }
    var same = item.querySelector('button[data-move="' + direction + '"]');
    var other = item.querySelector('button[data-move="' + (direction === "up" ? "down" : "up") + '"]');
    var target = same && !same.disabled ? same : other;
    if (target && !target.disabled) { target.focus(); }
  }
  restoreFocus();
  // The browser may move focus to the URL's fragment target after this script ran.
  window.addEventListener("load", function () { window.setTimeout(restoreFocus, 0); });
})();
