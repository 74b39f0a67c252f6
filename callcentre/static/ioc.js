// The operations-centre wall (/ioc): figures from GET /ioc/data, reloaded when the live stream
// (GET /api/v1/events, services/live.py) says a ticket moved, a deadline was missed or a call came
// in; a burst of events costs one reload per GAP_MS. Some figures change with no event (a call
// answered, a deadline coming near): a reload every STEADY_MS covers them, every FALLBACK_MS while
// the stream is down, and "mất kết nối" shows until both the stream and the figures are back.
(function () {
  "use strict";
  var root = document.getElementById("ioc");
  if (!root || !window.fetch) { return; }
  var GAP_MS = 2000, STEADY_MS = 60000, FALLBACK_MS = 30000, RECONNECT_MS = 30000, GRACE_MS = 8000;
  var t = root.dataset;
  var svgNS = "http://www.w3.org/2000/svg";
  var numbers = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "vi-VN");
  var source = null, stream = "connecting", dataUp = true, lastLoad = 0, loading = false, pending = null;
  var reconnectTimer = null, graceTimer = null, loads = 0, lastData = null, resizeTimer = null;

  function fmt(n) { return numbers.format(n); }
  function says(template, n) { return template.replace("{n}", fmt(n)); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  // ---- rendering (textContent only: names and codes come from the database)
  function figure(name, value) {
    var tile = root.querySelector('[data-figure="' + name + '"]');
    tile.querySelector("b").textContent = fmt(value);
    tile.classList.toggle("zero", value === 0);
  }

  function bars(list, rows) {  // rows: [{label, count, others?}]; "others" sums many: not in the scale
    clear(list);
    var peak = Math.max.apply(null, rows.filter(function (r) { return !r.others; })
      .map(function (r) { return r.count; }).concat([1]));
    rows.forEach(function (r) {
      var item = el("li", r.others ? "others" : "");
      var label = el("span", "ioc-bar-label", r.label);
      var track = el("span", "ioc-bar-track");
      var fill = el("span", "ioc-bar-fill");
      fill.style.width = (100 * Math.min(r.count, peak) / peak).toFixed(1) + "%";  // CSSOM: allowed by the CSP
      track.appendChild(fill);
      item.appendChild(label);
      item.appendChild(track);
      item.appendChild(el("b", "ioc-bar-count", fmt(r.count)));
      list.appendChild(item);
    });
  }

  function departments(work) {
    var body = document.getElementById("ioc-departments");
    clear(body);
    var rows = work.departments.slice();
    if (work.others.departments) {
      rows.push({name: work.others.label, open: work.others.open, at_risk: work.others.at_risk,
                 breached: work.others.breached, others: true});
    }
    rows.forEach(function (r) {
      var tr = el("tr", r.breached ? "breached" : (r.at_risk ? "at_risk" : (r.others ? "others" : "")));
      var th = el("th", null, r.name);
      th.scope = "row";
      tr.appendChild(th);
      tr.appendChild(el("td", "num", fmt(r.open)));
      tr.appendChild(el("td", "num" + (r.at_risk ? " warn" : ""), fmt(r.at_risk)));
      tr.appendChild(el("td", "num" + (r.breached ? " bad" : ""), fmt(r.breached)));
      body.appendChild(tr);
    });
    document.getElementById("ioc-departments-empty").hidden = rows.length > 0;
  }

  function breaches(list) {
    var ol = document.getElementById("ioc-breaches");
    clear(ol);
    list.forEach(function (b) {
      var li = el("li", b.running ? "running" : "stopped");
      li.appendChild(el("span", "ioc-code", b.receipt));
      li.appendChild(el("span", "ioc-dept", b.department));
      var what = el("span", "ioc-late", b.late ? b.clock + " · " + b.late : b.clock);
      if (b.acknowledged) { what.appendChild(el("small", null, " · " + t.tAcknowledged)); }
      li.appendChild(what);
      li.appendChild(el("time", "ioc-when", b.detected));
      ol.appendChild(li);
    });
    document.getElementById("ioc-breaches-empty").hidden = list.length > 0;
  }

  function map(place) {
    var g = document.getElementById("ioc-points");
    while (g.firstChild) { g.removeChild(g.firstChild); }
    place.points.slice().reverse().forEach(function (p) {  // the busiest drawn last, on top
      var dot = document.createElementNS(svgNS, "circle");
      dot.setAttribute("cx", p.x);
      dot.setAttribute("cy", p.y);
      dot.setAttribute("r", p.r);
      dot.setAttribute("class", "ioc-dot");
      var title = document.createElementNS(svgNS, "title");
      title.textContent = says(t.tDots, p.count);
      dot.appendChild(title);
      g.appendChild(dot);
    });
    var parts = [says(t.tOnMap, place.on_map)];
    if (place.commune_only) { parts.push(says(t.tCommuneOnly, place.commune_only)); }
    if (place.outside) { parts.push(says(t.tOutside, place.outside)); }
    if (place.without_location) { parts.push(says(t.tUnplaced, place.without_location)); }
    if (place.truncated) { parts.push(t.tTruncated); }
    document.getElementById("ioc-map-summary").textContent = parts.join(" · ");
    var rows = place.communes.map(function (c) { return {label: c.name, count: c.count}; });
    if (place.other_communes.communes) {
      rows.push({label: place.other_communes.label, count: place.other_communes.count, others: true});
    }
    bars(document.getElementById("ioc-communes"), rows);
  }

  // A panel shows what fits on the screen: the oldest breaches, the least busy communes go first
  // (the totals above them still count everything).
  function fit(list) {
    var panel = list.closest(".ioc-panel");
    while (list.children.length > 1 && panel.scrollHeight > panel.clientHeight + 1) {
      list.removeChild(list.lastChild);
    }
  }

  function render(d) {
    lastData = d;
    ["waiting", "answered", "abandoned"].forEach(function (k) { figure("calls." + k, d.calls[k]); });
    figure("received.total", d.received.total);
    ["open", "at_risk", "breached"].forEach(function (k) { figure("open." + k, d.open[k]); });
    root.querySelector('[data-figure="calls.waiting"]').classList.toggle("alert", d.calls.waiting > 0);
    bars(document.getElementById("ioc-channels"), d.received.channels);
    departments(d.open);
    breaches(d.breaches);
    map(d.map);
    fit(document.getElementById("ioc-breaches"));
    fit(document.getElementById("ioc-communes"));
    document.getElementById("ioc-day").textContent = d.day;
    var updated = document.getElementById("ioc-updated");
    updated.textContent = d.updated;
    updated.dateTime = d.generated_at;
  }

  // ---- loading, debounced
  function showState() {  // what the page's look (ioc.css) and the tests read
    root.dataset.live = !dataUp || stream === "down" ? "down" : stream;
  }

  function load() {
    if (loading) { soon(); return; }
    loading = true;
    lastLoad = Date.now();
    fetch(t.url, {credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}})
      .then(function (resp) {
        if (resp.redirected && resp.url.indexOf("/login") !== -1) { window.location.reload(); return null; }
        if (!resp.ok) { throw new Error(String(resp.status)); }
        return resp.json();
      })
      .then(function (d) {
        if (!d) { return; }
        render(d);
        dataUp = true;
        root.dataset.loads = String(++loads);
      })
      .catch(function () { dataUp = false; })
      .then(function () { loading = false; showState(); });
  }

  function soon() {  // an event: reload once the burst is over, at most once per GAP_MS
    if (pending) { return; }
    pending = setTimeout(function () { pending = null; load(); }, Math.max(300, GAP_MS - (Date.now() - lastLoad)));
  }

  // ---- the stream
  function down() {
    clearTimeout(graceTimer);
    graceTimer = null;
    stream = "down";
    showState();
  }

  function connect(url) {
    if (!window.EventSource || !url) { down(); return; }
    source = new EventSource(url);
    source.onopen = function () {
      var wasDown = stream === "down";
      clearTimeout(graceTimer);
      graceTimer = null;
      stream = "open";
      showState();
      if (wasDown) { soon(); }  // back after a gap: catch up once
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {  // refused (503, 401): try again later
        down();
        if (!reconnectTimer) { reconnectTimer = setTimeout(reconnect, RECONNECT_MS); }
      } else if (stream !== "down" && !graceTimer) {
        // The browser reconnects by itself (with Last-Event-ID), as it does every LIVE_STREAM_SECONDS:
        // "mất kết nối" only if it is not back within GRACE_MS.
        graceTimer = setTimeout(down, GRACE_MS);
      }
    };
    ["ticket", "sla", "call", "resync"].forEach(function (kind) { source.addEventListener(kind, soon); });
    source.addEventListener("closed", function () {  // this account opened too many streams
      source.close();
      down();
      if (!reconnectTimer) { reconnectTimer = setTimeout(reconnect, RECONNECT_MS); }
    });
  }

  function reconnect() {
    reconnectTimer = null;
    if (source) { source.close(); }
    connect(t.events.split("?")[0]);  // from now: the reload on open catches up on the gap
  }

  setInterval(function () {
    var every = stream === "open" && dataUp ? STEADY_MS : FALLBACK_MS;
    if (Date.now() - lastLoad >= every) { load(); }
  }, 5000);

  // ---- full screen, where the browser allows it
  var full = document.getElementById("ioc-fullscreen");
  if (document.fullscreenEnabled && full) {
    full.hidden = false;
    full.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else { document.documentElement.requestFullscreen(); }
    });
  }

  window.addEventListener("resize", function () {  // what fits changes with the screen
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (lastData) { render(lastData); } }, 150);
  });

  load();
  connect(t.events);  // from the page's render time (its ?since=): nothing in between is missed
})();
