// After moving an item up or down (a normal form post), put keyboard focus back on the
// same button of the moved item, so a keyboard user can keep moving it.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var moved = params.get("moved");
  var direction = params.get("dir");
  if (!moved || !/^\d+$/.test(moved)) { return; }
  var item = document.getElementById("item-" + moved);
  if (!item) { return; }
  var button = item.querySelector('button[data-move="' + (direction === "down" ? "down" : "up") + '"]');
  if (button && !button.disabled) { button.focus(); } else { item.focus(); }
})();
