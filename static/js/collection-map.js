// The collection map (/map/): every work at its 2-D position, drawn on one <canvas> from a compact JSON document
// (columns of ids, positions and facet codes) and thumbnail atlases (sprite sheets), so that 100k works need no
// 100k <img> elements. Zoomed out, works are dots coloured by a facet; zoomed in, thumbnails from the atlases that
// hold the works in view (consecutive cells sit together on the map, so a view needs few atlases). Loaded as a file,
// so the Content-Security-Policy stays strict; its words come translated from the page (templates/includes/_map_text.html).
(function () {
  "use strict";
  var canvas = document.getElementById("collection-map");
  if (!canvas || !canvas.getContext) return;
  var ctx = canvas.getContext("2d");
  var status = document.getElementById("map-status");
  var colourSelect = document.getElementById("map-colour");
  var filterSelect = document.getElementById("map-filter");
  var legend = document.getElementById("map-legend");
  var artworkUrl = canvas.dataset.artworkUrl, itemUrl = canvas.dataset.itemUrl;
  var language = document.documentElement.lang || undefined;
  var numbers = new Intl.NumberFormat(language), plurals = new Intl.PluralRules(language);
  var words = readWords();

  var BACKGROUND = "#22221f", PLAIN = "#d9d4c7", FAINT = "rgba(217, 212, 199, 0.18)", OTHER = "#8d8a80";
  var PALETTE = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#42d4f4", "#f032e6", "#bfef45", "#fabed4",
                 "#469990", "#dcbeff", "#9a6324"];
  var PERIOD_PALETTE = ["#5e3c99", "#3f6fb5", "#2b9bb0", "#34a77b", "#8cbf3f", "#e0c53a", "#f0923a", "#e0533a",
                        "#8d8a80"];
  var THUMBNAIL_MIN_PX = 14; // below this a thumbnail is a coloured dot: nothing to see in it, and no atlas to load
  var MAX_LOADS = 4; // atlas images fetched at once
  var HOME_ZOOM = 0.9; // the whole map with a margin, so that no thumbnail is cut at the edge

  var data = null, n = 0, X, Y, thumb = 0.05;
  var view = {x: 0.5, y: 0.5, zoom: HOME_ZOOM}, width = 0, height = 0;
  var colourBy = "", filter = null, selected = -1;
  var atlases = [], loading = 0, queue = [];
  var highlightIds = readHighlights(), highlights = [], highlightStep = -1, lit = new Uint8Array(0);
  var drawPending = false, items = {};

  function readHighlights() {
    var node = document.getElementById("map-highlights");
    try { return node ? JSON.parse(node.textContent) : []; } catch (error) { return []; }
  }

  // The page's words: messages by key (a counted one by plural form: "one", "other"), period names by their name in
  // the map's data. Each counted message is rendered for a sample count, whose plural form says which one it is.
  function readWords() {
    var node = document.getElementById("map-text"), found = {messages: {}, periods: {}};
    if (!node) return found;
    node.content.querySelectorAll("[data-key]").forEach(function (element) {
      var key = element.dataset.key, wording = element.textContent.trim();
      if (!element.dataset.sample) { found.messages[key] = wording; return; }
      found.messages[key] = found.messages[key] || {};
      found.messages[key][plurals.select(Number(element.dataset.sample))] = wording;
    });
    node.content.querySelectorAll("[data-period]").forEach(function (element) {
      found.periods[element.dataset.period] = element.textContent.trim();
    });
    return found;
  }

  // A message in the page's language with its {placeholders} filled in; `count` chooses the form of a counted one.
  function message(key, values, count) {
    var wording = words.messages[key];
    if (wording && count !== undefined) wording = wording[plurals.select(count)] || wording.other;
    return String(wording || key).replace(/\{(\w+)\}/g, function (placeholder, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? values[name] : placeholder;
    });
  }

  function say(text) { status.textContent = text; }

  function scale() { return Math.min(width, height) * view.zoom; }
  function maxZoom() { return Math.max(4, 160 / (thumb * Math.min(width, height) || 1)); }

  function resize() {
    var ratio = window.devicePixelRatio || 1;
    width = canvas.clientWidth; height = canvas.clientHeight;
    canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    redraw();
  }

  function redraw() {
    if (drawPending) return;
    drawPending = true;
    window.requestAnimationFrame(draw);
  }

  function code(kind, i) { return data[kind][i]; }

  function matches(i) { return !filter || code(filter.kind, i) === filter.value; }

  function colourOf(i) {
    if (!colourBy) return PLAIN;
    var value = code(colourBy, i);
    if (colourBy === "period") return PERIOD_PALETTE[value] || OTHER;
    return value >= 0 && value < PALETTE.length ? PALETTE[value] : OTHER;
  }

  function atlasFor(cell) {
    var perAtlas = data.atlas.columns * data.atlas.columns, number = Math.floor(cell / perAtlas);
    var atlas = atlases[number];
    if (!atlas) {
      atlas = atlases[number] = {image: new Image(), ready: false, failed: false, requested: false};
      atlas.number = number;
    }
    if (!atlas.requested) { atlas.requested = true; queue.push(atlas); pump(); }
    return atlas;
  }

  function pump() {
    while (loading < MAX_LOADS && queue.length) {
      var atlas = queue.shift();
      loading += 1;
      atlas.image.onload = done.bind(null, atlas, true);
      atlas.image.onerror = done.bind(null, atlas, false);
      atlas.image.src = data.atlas.urls[atlas.number];
    }
  }

  function done(atlas, ok) {
    loading -= 1;
    atlas.ready = ok; atlas.failed = !ok; // a missing atlas leaves its works as dots
    pump();
    redraw();
  }

  function draw() {
    var started = window.performance.now();
    drawPending = false;
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, width, height);
    if (!data || !n) return;
    var s = scale(), size = thumb * s, half = size / 2, dot = Math.max(1.5, Math.min(half, 4));
    var thumbnails = size >= THUMBNAIL_MIN_PX;
    var left = view.x - width / 2 / s - thumb, right = view.x + width / 2 / s + thumb;
    var top = view.y - height / 2 / s - thumb, bottom = view.y + height / 2 / s + thumb;
    var cellPx = data.atlas.cell, columns = data.atlas.columns, perAtlas = columns * columns;
    var dim = highlights.length > 0, drawn = 0, shown = 0, litInView = 0, fill = "", alpha = 1, colour;
    ctx.globalAlpha = 1;
    for (var i = 0; i < n; i++) {
      var match = matches(i);
      if (match) shown += 1;
      if (X[i] < left || X[i] > right || Y[i] < top || Y[i] > bottom) continue;
      var sx = (X[i] - view.x) * s + width / 2, sy = (Y[i] - view.y) * s + height / 2;
      // Canvas state is set only when it changes: parsing a colour for each of 100k works costs most of a frame.
      colour = match ? colourOf(i) : FAINT;
      if (colour !== fill) { ctx.fillStyle = fill = colour; }
      if (!match) {
        ctx.fillRect(sx - 1, sy - 1, 2, 2);
        continue;
      }
      drawn += 1;
      var wanted = dim && !lit[i] ? 0.4 : 1; // a search's results stand out from the rest
      if (wanted !== alpha) { ctx.globalAlpha = alpha = wanted; }
      var cell = data.cell[i], atlas = thumbnails && cell >= 0 ? atlasFor(cell) : null;
      if (atlas && atlas.ready) {
        var local = cell % perAtlas;
        if (colourBy) ctx.fillRect(sx - half - 2, sy - half - 2, size + 4, size + 4);
        ctx.drawImage(atlas.image, (local % columns) * cellPx, Math.floor(local / columns) * cellPx, cellPx, cellPx,
                      sx - half, sy - half, size, size);
      } else {
        var r = thumbnails ? half : dot;
        ctx.fillRect(sx - r, sy - r, 2 * r, 2 * r);
      }
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 3;
    ctx.font = "bold 12px system-ui, sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    highlights.forEach(function (entry) {
      var i = entry.index;
      if (!matches(i)) return;
      var sx = (X[i] - view.x) * s + width / 2, sy = (Y[i] - view.y) * s + height / 2;
      if (sx < -20 || sx > width + 20 || sy < -20 || sy > height + 20) return;
      litInView += 1;
      var ring = Math.max(half, 5) + 3;
      ctx.strokeStyle = "#ffbf00";
      ctx.strokeRect(sx - ring, sy - ring, 2 * ring, 2 * ring);
      ctx.fillStyle = "#ffbf00";
      ctx.fillRect(sx + ring - 9, sy - ring - 9, 18, 18);
      ctx.fillStyle = "#1d1d1f";
      ctx.fillText(String(entry.rank), sx + ring, sy - ring);
    });
    if (selected >= 0) {
      var x = (X[selected] - view.x) * s + width / 2, y = (Y[selected] - view.y) * s + height / 2;
      var ringSize = Math.max(half, 6) + 6;
      ctx.strokeStyle = "#1d1d1f"; ctx.lineWidth = 5;
      ctx.strokeRect(x - ringSize, y - ringSize, 2 * ringSize, 2 * ringSize);
      ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 2;
      ctx.strokeRect(x - ringSize, y - ringSize, 2 * ringSize, 2 * ringSize);
    }
    // What the page shows, for people reading the page's state (and the browser tests).
    canvas.dataset.drawn = drawn;
    canvas.dataset.shown = shown;
    canvas.dataset.highlighted = litInView;
    canvas.dataset.mode = thumbnails ? "thumbnails" : "dots";
    canvas.dataset.zoom = view.zoom.toFixed(3);
    canvas.dataset.centre = view.x.toFixed(4) + "," + view.y.toFixed(4);
    canvas.dataset.selected = selected >= 0 ? data.ids[selected] : "";
    canvas.dataset.atlases = atlases.filter(function (atlas) { return atlas && atlas.ready; }).length;
    canvas.dataset.drawMs = (window.performance.now() - started).toFixed(1);
    if (!canvas.dataset.loadedMs) canvas.dataset.loadedMs = window.performance.now().toFixed(0); // since navigation
  }

  // --- Moving around.

  function clampView() {
    view.zoom = Math.min(maxZoom(), Math.max(0.5, view.zoom));
    view.x = Math.min(1.1, Math.max(-0.1, view.x));
    view.y = Math.min(1.1, Math.max(-0.1, view.y));
  }

  function zoomAt(factor, px, py) {
    var s = scale(), ux = view.x + (px - width / 2) / s, uy = view.y + (py - height / 2) / s;
    view.zoom *= factor;
    clampView();
    s = scale();
    view.x = ux - (px - width / 2) / s; view.y = uy - (py - height / 2) / s;
    clampView();
    redraw();
  }

  function pan(dx, dy) {
    var s = scale();
    view.x -= dx / s; view.y -= dy / s;
    clampView();
    redraw();
  }

  function reset() { view = {x: 0.5, y: 0.5, zoom: HOME_ZOOM}; redraw(); }

  // The work under a point of the canvas (CSS pixels), or -1: the nearest within its thumbnail or a few pixels.
  function workAt(px, py) {
    if (!data) return -1;
    var s = scale(), ux = view.x + (px - width / 2) / s, uy = view.y + (py - height / 2) / s;
    var reach = Math.max(thumb / 2, 6 / s), best = -1, bestDistance = Infinity;
    for (var i = 0; i < n; i++) {
      var dx = Math.abs(X[i] - ux), dy = Math.abs(Y[i] - uy);
      if (dx > reach || dy > reach || !matches(i)) continue;
      var distance = dx * dx + dy * dy;
      if (distance < bestDistance) { bestDistance = distance; best = i; }
    }
    return best;
  }

  function select(i) {
    if (i === selected) return;
    selected = i;
    redraw();
    describe(i);
  }

  var describeTimer = null;
  function describe(i) {
    window.clearTimeout(describeTimer);
    if (i < 0) return;
    var id = data.ids[i];
    describeTimer = window.setTimeout(function () {
      var cached = items[id];
      var request = cached ? Promise.resolve(cached) : fetch(itemUrl.replace(/\/0\.json$/, "/" + id + ".json"))
        .then(function (response) { return response.ok ? response.json() : null; });
      request.then(function (item) {
        if (!item || data.ids[selected] !== id) return;
        items[id] = item;
        say(item.title + (item.artist ? " · " + item.artist : "") + (item.date ? " (" + item.date + ")" : "") +
            ". " + message("open-hint"));
      }).catch(function () {});
    }, 150);
  }

  function selectNearestCentre() {
    var s = scale(), best = -1, bestDistance = Infinity, reach = Math.min(width, height) / 4 / s;
    for (var i = 0; i < n; i++) {
      var dx = X[i] - view.x, dy = Y[i] - view.y;
      if (Math.abs(dx) > reach || Math.abs(dy) > reach || !matches(i)) continue;
      var distance = dx * dx + dy * dy;
      if (distance < bestDistance) { bestDistance = distance; best = i; }
    }
    select(best);
  }

  function open(i) {
    if (i >= 0) window.location.href = artworkUrl.replace(/\/0\/$/, "/" + data.ids[i] + "/");
  }

  function stepHighlight(direction) {
    if (!highlights.length) return;
    highlightStep = (highlightStep + direction + highlights.length) % highlights.length;
    var i = highlights[highlightStep].index;
    view.x = X[i]; view.y = Y[i];
    view.zoom = Math.max(view.zoom, (THUMBNAIL_MIN_PX * 3) / (thumb * Math.min(width, height)));
    clampView();
    select(i);
    redraw();
  }

  // Pointers down on the canvas (a mouse button, a pen, fingers), by id. One drags the map; two pinch it: the zoom
  // follows the distance between the fingers and the point under their midpoint stays under it. The canvas has
  // `touch-action: none` (map.css), so the browser leaves these gestures to us instead of scrolling or zooming the page.
  var pointers = {}, gesture = null;

  function down() { return Object.keys(pointers).map(function (id) { return pointers[id]; }); }

  function pinchOf(pair) {
    return {x: (pair[0].x + pair[1].x) / 2, y: (pair[0].y + pair[1].y) / 2,
            distance: Math.hypot(pair[0].x - pair[1].x, pair[0].y - pair[1].y)};
  }

  canvas.addEventListener("pointerdown", function (event) {
    canvas.setPointerCapture(event.pointerId);
    pointers[event.pointerId] = {x: event.offsetX, y: event.offsetY};
    if (!gesture) gesture = {moved: 0, pinched: false};
    if (down().length > 1) gesture.pinched = true; // lifting the fingers after a pinch opens nothing
  });
  canvas.addEventListener("pointermove", function (event) {
    var pointer = pointers[event.pointerId];
    if (!pointer) { if (!gesture) select(workAt(event.offsetX, event.offsetY)); return; } // a mouse hovering
    var before = down().length > 1 ? pinchOf(down()) : null;
    var dx = event.offsetX - pointer.x, dy = event.offsetY - pointer.y;
    pointer.x = event.offsetX; pointer.y = event.offsetY;
    gesture.moved += Math.abs(dx) + Math.abs(dy);
    if (before) {
      var after = pinchOf(down());
      if (before.distance > 0 && after.distance > 0) zoomAt(after.distance / before.distance, before.x, before.y);
      pan(after.x - before.x, after.y - before.y);
    } else if (gesture.moved > 4) {
      canvas.classList.add("dragging");
      pan(dx, dy);
    }
  });
  function lift(event, click) {
    if (!pointers[event.pointerId]) return;
    delete pointers[event.pointerId];
    if (down().length) return;
    click = click && !gesture.pinched && gesture.moved <= 4;
    gesture = null;
    canvas.classList.remove("dragging");
    if (click) open(workAt(event.offsetX, event.offsetY));
  }
  canvas.addEventListener("pointerup", function (event) { lift(event, true); });
  canvas.addEventListener("pointercancel", function (event) { lift(event, false); });
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.offsetX, event.offsetY);
  }, {passive: false});

  canvas.addEventListener("keydown", function (event) {
    var step = (event.shiftKey ? 0.5 : 0.125) * Math.min(width, height);
    var moves = {ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step]};
    if (moves[event.key]) pan(moves[event.key][0], moves[event.key][1]);
    else if (event.key === "+" || event.key === "=") zoomAt(1.5, width / 2, height / 2);
    else if (event.key === "-" || event.key === "_") zoomAt(1 / 1.5, width / 2, height / 2);
    else if (event.key === "0") reset();
    else if (event.key === "Enter") { open(selected); return; }
    else if (event.key === "n" || event.key === "N") { stepHighlight(1); event.preventDefault(); return; }
    else if (event.key === "p" || event.key === "P") { stepHighlight(-1); event.preventDefault(); return; }
    else return;
    event.preventDefault();
    selectNearestCentre();
  });

  document.querySelectorAll("[data-map-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.dataset.mapZoom;
      if (action === "reset") reset();
      else zoomAt(action === "in" ? 1.5 : 1 / 1.5, width / 2, height / 2);
    });
  });

  // --- Colours and filters.

  function names(kind) {
    if (kind === "artist") return data.artists.map(function (a) { return a.name; });
    if (kind === "classification") return data.classifications.map(function (c) { return c.name; });
    return data.periods.map(function (period) { return words.periods[period] || period; });
  }

  function showLegend() {
    legend.textContent = "";
    if (!colourBy) return;
    var labels = names(colourBy), limit = colourBy === "period" ? labels.length : PALETTE.length;
    labels.slice(0, limit).forEach(function (label, number) {
      addLegend(label, colourBy === "period" ? PERIOD_PALETTE[number] : PALETTE[number]);
    });
    if (labels.length > limit || colourBy !== "period") {
      addLegend(message(colourBy === "artist" ? "other-artists" : "other"), OTHER);
    }
  }

  function addLegend(label, colour) {
    var item = document.createElement("li"), swatch = document.createElement("span");
    swatch.className = "map-swatch";
    swatch.style.backgroundColor = colour; // CSSOM, not a style attribute: allowed by the CSP
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(label));
    legend.appendChild(item);
  }

  function fillFilter() {
    ["artist", "classification", "period"].forEach(function (kind) {
      var counts = countBy(kind), element = document.createElement("optgroup");
      element.label = colourSelect.querySelector("option[value=" + kind + "]").textContent; // the page's own word
      names(kind).forEach(function (label, number) {
        if (!counts[number]) return;
        var option = document.createElement("option");
        option.value = kind + ":" + number;
        option.textContent = label + " (" + numbers.format(counts[number]) + ")";
        element.appendChild(option);
      });
      if (element.children.length) filterSelect.appendChild(element);
    });
  }

  function countBy(kind) {
    var counts = {};
    for (var i = 0; i < n; i++) counts[data[kind][i]] = (counts[data[kind][i]] || 0) + 1;
    return counts;
  }

  colourSelect.addEventListener("change", function () { colourBy = colourSelect.value; showLegend(); redraw(); });
  filterSelect.addEventListener("change", function () {
    var parts = filterSelect.value.split(":");
    filter = filterSelect.value ? {kind: parts[0], value: Number(parts[1])} : null;
    if (selected >= 0 && !matches(selected)) select(-1);
    redraw();
  });

  // --- Loading.

  function load(payload) {
    data = payload; n = data.count;
    X = new Float32Array(n); Y = new Float32Array(n);
    var index = {};
    for (var i = 0; i < n; i++) { X[i] = data.x[i] / data.scale; Y[i] = data.y[i] / data.scale; index[data.ids[i]] = i; }
    thumb = Math.min(0.05, 0.8 / Math.sqrt(Math.max(n, 1)));
    highlights = highlightIds.map(function (id, rank) { return {index: index[id], rank: rank + 1}; })
      .filter(function (entry) { return entry.index !== undefined; });
    lit = new Uint8Array(n);
    highlights.forEach(function (entry) { lit[entry.index] = 1; });
    fillFilter();
    if (!n) {
      say(message(data.layout ? "empty" : "laying-out"));
    } else {
      say(message(highlightIds.length ? "works-and-results" : "works", {
        count: numbers.format(n), found: numbers.format(highlights.length), total: numbers.format(highlightIds.length)
      }, n));
    }
    canvas.dataset.count = n;
    redraw();
  }

  // A test (or a person in the console) can ask where a work is drawn: CSS pixels from the canvas's corner.
  window.artsearchMap = {
    positionOf: function (id) {
      var i = data ? data.ids.indexOf(id) : -1;
      if (i < 0) return null;
      var s = scale();
      return {x: (X[i] - view.x) * s + width / 2, y: (Y[i] - view.y) * s + height / 2};
    }
  };

  if (window.ResizeObserver) new ResizeObserver(resize).observe(canvas);
  else window.addEventListener("resize", resize);
  resize();
  fetch(canvas.dataset.dataUrl, {headers: {Accept: "application/json"}})
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(load)
    .catch(function (error) { say(message("failed", {error: error.message})); });
})();
