// Detail selection on an artwork's page: drag a rectangle over the picture (mouse, pen or touch), or move and
// resize it with the keyboard, and the form's four percentages follow. Without this script the form still works:
// the visitor types the percentages. Loaded as a file, so the Content-Security-Policy stays strict.
(function () {
  "use strict";
  var frame = document.querySelector("[data-detail-frame]");
  var form = document.querySelector("[data-detail-form]");
  if (!frame || !form) return;
  var rect = frame.querySelector(".selection");
  var inputs = {x: form.elements.x, y: form.elements.y, w: form.elements.w, h: form.elements.h};
  var MIN = 5; // percent: the smallest detail the search accepts
  var start = null;

  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }

  function read() {
    return {x: +inputs.x.value || 0, y: +inputs.y.value || 0, w: +inputs.w.value || MIN, h: +inputs.h.value || MIN};
  }

  function show(box) {
    box.w = clamp(box.w, MIN, 100); box.h = clamp(box.h, MIN, 100);
    box.x = clamp(box.x, 0, 100 - box.w); box.y = clamp(box.y, 0, 100 - box.h);
    ["x", "y", "w", "h"].forEach(function (key) { inputs[key].value = Math.round(box[key] * 10) / 10; });
    rect.setAttribute("x", box.x); rect.setAttribute("y", box.y);
    rect.setAttribute("width", box.w); rect.setAttribute("height", box.h);
    rect.removeAttribute("hidden");
  }

  function point(event) {
    var bounds = frame.getBoundingClientRect();
    return {x: clamp((event.clientX - bounds.left) / bounds.width * 100, 0, 100),
            y: clamp((event.clientY - bounds.top) / bounds.height * 100, 0, 100)};
  }

  frame.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    frame.setPointerCapture(event.pointerId);
    start = point(event);
  });
  frame.addEventListener("pointermove", function (event) {
    if (!start) return;
    var here = point(event);
    show({x: Math.min(start.x, here.x), y: Math.min(start.y, here.y),
          w: Math.abs(here.x - start.x), h: Math.abs(here.y - start.y)});
  });
  frame.addEventListener("pointerup", function () { start = null; });
  frame.addEventListener("pointercancel", function () { start = null; });

  // Arrows move the selection, Shift+arrows resize it, Enter searches it.
  frame.addEventListener("keydown", function (event) {
    var box = read(), step = event.altKey ? 1 : 5;
    var moves = {ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step]};
    if (event.key === "Enter") { event.preventDefault(); form.requestSubmit(); return; }
    if (!moves[event.key]) return;
    event.preventDefault();
    if (event.shiftKey) { box.w += moves[event.key][0]; box.h += moves[event.key][1]; }
    else { box.x += moves[event.key][0]; box.y += moves[event.key][1]; }
    show(box);
  });
  ["x", "y", "w", "h"].forEach(function (key) {
    inputs[key].addEventListener("input", function () { show(read()); });
  });
  show(read());
})();
