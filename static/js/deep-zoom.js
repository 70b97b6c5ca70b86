// The artwork page's deep-zoom viewer: OpenSeadragon (static/vendor/openseadragon) on the work's IIIF tiles, opened
// by the "Zoom into the picture" button, so the page fetches no tile until a visitor asks. Until the worker has made
// the tiles, the viewer zooms into the whole stored picture instead. Everything comes from data-* attributes:
// the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var button = document.querySelector("[data-zoom-open]");
  var container = document.querySelector("[data-zoom-viewer]");
  if (!button || !container || !window.OpenSeadragon) return;
  var viewer = null;
  var labels = {open: button.textContent, close: button.getAttribute("data-close-label")}; // the page's wording
  // OpenSeadragon's button tooltips (their title and their images' alt), in the page's language: the key of its
  // string table → the container's data attribute that holds the translation.
  var TOOLTIPS = {"Tooltips.ZoomIn": "data-zoom-in-label", "Tooltips.ZoomOut": "data-zoom-out-label",
                  "Tooltips.Home": "data-home-label", "Tooltips.FullPage": "data-full-page-label"};

  function keepOutInlineStyle() {
    // OpenSeadragon adds a <style> element (a touch-screen focus rule) unless one with this attribute exists; the
    // CSP refuses inline styles, so an inert MathML element of that name stands in (site.css styles the focus).
    if (document.querySelector("style[data-openseadragon-mobile-css]")) return;
    var marker = document.createElementNS("http://www.w3.org/1998/Math/MathML", "style");
    marker.setAttribute("data-openseadragon-mobile-css", "true");
    document.head.appendChild(marker);
  }

  function translateTooltips() {
    Object.keys(TOOLTIPS).forEach(function (key) {
      var wording = container.getAttribute(TOOLTIPS[key]);
      if (wording) window.OpenSeadragon.setString(key, wording);
    });
  }

  function open() {
    keepOutInlineStyle();
    translateTooltips(); // before the viewer makes its buttons
    var tiles = container.getAttribute("data-tile-source");
    viewer = window.OpenSeadragon({
      element: container,
      prefixUrl: container.getAttribute("data-prefix-url"),
      tileSources: tiles || {type: "image", url: container.getAttribute("data-image-url")},
      showNavigator: true,
      navigatorAutoFade: false,
      maxZoomPixelRatio: 2, // a little past the original's own pixels, no further
      visibilityRatio: 0.5,
      gestureSettingsMouse: {clickToZoom: false}, // a click focuses the picture for the keyboard; the wheel zooms
      // Visitors who asked their system for less motion get each zoom step at once, not animated.
      animationTime: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 1.2
    });
    // The canvas is OpenSeadragon's keyboard target (tabindex 0): name it and say which keys work.
    viewer.canvas.setAttribute("role", "application");
    viewer.canvas.setAttribute("aria-label", container.getAttribute("data-label"));
    viewer.canvas.setAttribute("aria-roledescription", container.getAttribute("data-roledescription"));
  }

  button.addEventListener("click", function () {
    var opening = container.hidden;
    container.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    button.textContent = opening ? labels.close : labels.open;
    if (!opening) return;
    if (!viewer) open();
    viewer.canvas.focus();
  });
})();
