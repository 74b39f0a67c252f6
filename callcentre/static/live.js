// Live screens over one Server-Sent Events stream (GET /api/v1/events, services/live.py).
// An event only says "something new": what it names is reloaded from the server (the database is
// the source of truth). Without the stream (Redis down, too many tabs, an old server) the page
// refreshes the same parts every 30 s instead, and tries the stream again.
(function () {
  "use strict";
  var root = document.getElementById("notices");
  if (!root || !window.EventSource || !window.fetch) { return; }
  var FALLBACK_MS = 30000;
  var REGION_GAP_MS = 3000;  // a burst of events reloads a page's regions at most this often
  var eventsUrl = root.dataset.events;
  var noticesUrl = root.dataset.url;
  var ticketUrl = root.dataset.ticketUrl || "";
  var archiveUrl = root.dataset.archiveUrl || "";  // a built report's notice opens the archive
  var lang = document.documentElement.lang || "vi";
  var source = null, lastId = "", fallbackTimer = null, reconnectTimer = null, refreshOnOpen = false;
  var evicted = false;  // this account opened too many streams and this (the oldest) was ended
  root.hidden = false;


  // ---- the notice badge and list (the API's in-app notices, unread first)
  var toggle = document.getElementById("notices-toggle");
  var panel = document.getElementById("notices-panel");
  var count = document.getElementById("notices-count");
  var list = document.getElementById("notices-list");
  var empty = document.getElementById("notices-empty");
  var itemTemplate = document.getElementById("notice-item");

  function loadNotices() {
    return fetch(noticesUrl + "?unread=true&per_page=20", {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (page) { if (page) { showNotices(page); } })
      .catch(function () { /* the next event or refresh tries again */ });
  }

  function showNotices(page) {
    count.textContent = String(page.total);
    count.hidden = page.total === 0;
    root.classList.toggle("has-unread", page.total > 0);
    list.textContent = "";
    page.items.forEach(function (notice) {
      var item = itemTemplate.content.firstElementChild.cloneNode(true);
      var link = item.querySelector(".notice-text");
      link.textContent = lang === "en" ? notice.message_en : notice.message_vi;
      if (notice.ticket_id && ticketUrl) { link.href = ticketUrl.replace(/0$/, String(notice.ticket_id)); }
      else if (notice.kind === "report_ready" && archiveUrl) { link.href = archiveUrl; }
      else { link.removeAttribute("href"); }
      var when = item.querySelector("time");
      when.dateTime = notice.created_at;
      when.textContent = localTime(notice.created_at);
      item.querySelector(".notice-read").addEventListener("click", function () { markRead(notice.id); });
      link.addEventListener("click", function () { markRead(notice.id); });  // opened: read
      list.appendChild(item);
    });
    empty.hidden = page.items.length > 0;
  }

  function localTime(iso) {  // as the pages show times: 02/12/2026 21:41, Asia/Ho_Chi_Minh
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {timeZone: "Asia/Ho_Chi_Minh", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"})
      .formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.day + "/" + parts.month + "/" + parts.year + " " + parts.hour + ":" + parts.minute;
  }

  function markRead(id) {
    fetch(noticesUrl + "/" + id + "/read", {method: "POST", credentials: "same-origin", keepalive: true,
      headers: {"X-CSRFToken": window.csrfToken(), Accept: "application/json"}})
      .then(loadNotices, loadNotices);
  }

  function setPanel(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () { setPanel(panel.hidden); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) { setPanel(false); toggle.focus(); }
  });
  document.addEventListener("click", function (e) {
    if (!panel.hidden && !root.contains(e.target)) { setPanel(false); }
  });

  // ---- regions of a page that reload when an event names them (data-live-refresh, data-live-on)
  var pending = {}, regionTimer = null, lastRegionLoad = 0;

  function regionsFor(kind) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-live-refresh]"), function (el) {
      return !kind || (el.dataset.liveOn || "").split(" ").indexOf(kind) !== -1;
    });
  }

  function busy(el) {  // someone is typing or choosing in it: replacing it now would lose that
    if (el.contains(document.activeElement) && document.activeElement !== document.body) { return true; }
    return Array.prototype.some.call(el.querySelectorAll("input, textarea, select"), function (f) {
      if (f.type === "hidden") { return false; }
      if (f.type === "checkbox" || f.type === "radio") { return f.checked !== f.defaultChecked; }
      if (f.tagName === "SELECT") {
        return Array.prototype.some.call(f.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return f.value !== f.defaultValue;
    });
  }

  function refreshRegions(kind) {
    regionsFor(kind).forEach(function (el) { pending[el.dataset.liveRefresh] = true; });
    if (regionTimer || !Object.keys(pending).length) { return; }
    var wait = Math.max(200, REGION_GAP_MS - (Date.now() - lastRegionLoad));
    regionTimer = setTimeout(loadRegions, wait);
  }

  function loadRegions() {
    lastRegionLoad = Date.now();
    fetch(window.location.href, {credentials: "same-origin", headers: {Accept: "text/html"}})
      .then(function (resp) {
        if (resp.redirected && resp.url.indexOf("/login") !== -1) { window.location.reload(); return null; }
        return resp.ok ? resp.text() : null;
      })
      .then(function (html) {
        regionTimer = null;
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        Object.keys(pending).forEach(function (name) {
          var selector = '[data-live-refresh="' + name + '"]';
          var old = document.querySelector(selector), next = fresh.querySelector(selector);
          if (!old || !next) { delete pending[name]; return; }
          if (busy(old)) { return; }  // kept pending: tried again with the next event or refresh
          var adopted = document.importNode(next, true);
          adopted.classList.add("live-updated");
          old.replaceWith(adopted);
          delete pending[name];
        });
      })
      .catch(function () { regionTimer = null; });
  }

  // ---- the operator console: a call offered to the front desk pops with its caller's history
  var pops = document.getElementById("call-pops");

  function showCall(callId) {
    if (!pops || pops.querySelector('[data-call-id="' + callId + '"]')) { return; }
    var url = pops.dataset.popUrl.replace(/\/0\/pop$/, "/" + callId + "/pop");
    fetch(url, {credentials: "same-origin", headers: {Accept: "text/html"}})
      .then(function (resp) { return resp.status === 200 ? resp.text() : null; })
      .then(function (html) {
        if (html === null || pops.querySelector('[data-call-id="' + callId + '"]')) { return; }
        var card = new DOMParser().parseFromString(html, "text/html").querySelector(".call-pop");
        if (!card) { return; }
        card = document.importNode(card, true);
        card.querySelector("[data-pop-close]").addEventListener("click", function () { card.remove(); });
        card.querySelector("[data-pop-take]").addEventListener("click", function () { takeCall(card); });
        pops.insertBefore(card, pops.firstChild);
        while (pops.children.length > 3) { pops.removeChild(pops.lastChild); }
      })
      .catch(function () { /* the call is still in the call list */ });
  }

  function takeCall(card) {  // the log form gets this call: its number, its start, its CallSid
    var phone = document.getElementById("phone");
    var form = phone && phone.form;
    if (!form) { return; }
    function set(name, value) {
      var field = form.elements[name];
      if (!field && value) {
        field = document.createElement("input");
        field.type = "hidden"; field.name = name; form.appendChild(field);
      }
      if (field) { field.value = value; }
    }
    set("phone", card.dataset.phone);
    set("started_at", card.dataset.started);
    set("provider_call_id", card.dataset.callSid);
    if (form.elements.name && !form.elements.name.value) { form.elements.name.value = card.dataset.name || ""; }
    card.classList.add("taken");
    var next = document.getElementById("category-search") || form.elements.phone;
    if (next) { next.focus(); }
  }

  // ---- the stream, and the timer that stands in for it
  function refreshAll() {
    loadNotices();
    refreshRegions(null);
  }

  function fallback(on) {
    document.getElementById("live-state").hidden = !on;
    if (on) { root.dataset.live = "fallback"; }
    if (on && !fallbackTimer) { fallbackTimer = setInterval(refreshAll, FALLBACK_MS); }
    if (!on && fallbackTimer) { clearInterval(fallbackTimer); fallbackTimer = null; }
  }

  function connect(url) {
    source = new EventSource(url);
    var track = function (e) { if (e.lastEventId) { lastId = e.lastEventId; } };
    source.onopen = function () {
      root.dataset.live = "open";  // what tests (and a curious person's devtools) can see
      // Back from a gap (a refusal, or Redis lost on the server's side): catch up once.
      if (fallbackTimer || refreshOnOpen) { fallback(false); refreshOnOpen = false; refreshAll(); }
    };
    source.onerror = function () {
      // CONNECTING: the browser reconnects by itself (with Last-Event-ID). CLOSED: the server
      // refused (503, 401): refresh on a timer, and try the stream again later.
      if (source.readyState !== EventSource.CLOSED) { return; }
      fallback(true);
      if (!reconnectTimer) {
        reconnectTimer = setTimeout(function () {
          reconnectTimer = null;
          if (!evicted) { connect(resumeUrl()); }
        }, FALLBACK_MS);
      }
    };
    source.addEventListener("notice", function (e) { track(e); loadNotices(); });
    source.addEventListener("call", function (e) {
      track(e);
      var data = JSON.parse(e.data || "{}");
      if (data.call_id) { showCall(data.call_id); }
      refreshRegions("call");
    });
    source.addEventListener("ticket", function (e) { track(e); refreshRegions("ticket"); });
    source.addEventListener("sla", function (e) { track(e); refreshRegions("sla"); });
    source.addEventListener("resync", function (e) { track(e); refreshOnOpen = true; refreshAll(); });
    source.addEventListener("closed", function (e) {
      // More tabs than LIVE_MAX_STREAMS_PER_USER: this one refreshes on a timer until it is looked at.
      track(e); source.close(); evicted = true; fallback(true);
    });
  }

  function resumeUrl() {
    return eventsUrl.split("?")[0] + (lastId ? "?last_event_id=" + encodeURIComponent(lastId) : "");
  }

  document.addEventListener("visibilitychange", function () {
    if (evicted && document.visibilityState === "visible") { evicted = false; connect(resumeUrl()); }
  });

  loadNotices();
  connect(eventsUrl);
})();
