// The citizen's web report (/phan-anh): the SMS code without leaving the page, the offline map,
// the phone's location (only on the button, with the browser's consent), reports nearby (+1).
// The category search is app.js's (ids category-search / category). Without this file the form
// still works: the "send code" button posts the form, and nearby reports come with the page.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var t = function (key, value) { return (form.dataset[key] || "").replace("{n}", value === undefined ? "" : value); };
  var lat = document.getElementById("lat"), lng = document.getElementById("lng");
  var svg = document.getElementById("map"), marker = document.getElementById("map-marker");
  var pointText = document.getElementById("map-point"), clear = document.getElementById("map-clear");
  var extent = svg ? {s: +svg.dataset.south, n: +svg.dataset.north, w: +svg.dataset.west, e: +svg.dataset.east} : null;
  var box = svg ? svg.viewBox.baseVal : null;

  // ----- the SMS code ---------------------------------------------------------
  var sendBtn = document.getElementById("send-code"), phone = document.getElementById("phone");
  var phoneMsg = document.getElementById("phone-msg"), timer = null;
  function countdown(seconds) {
    clearInterval(timer);
    var left = seconds;
    sendBtn.disabled = true;
    sendBtn.textContent = t("tResend", left);
    timer = setInterval(function () {
      left -= 1;
      if (left <= 0) { clearInterval(timer); sendBtn.disabled = false; sendBtn.textContent = t("tResendNow"); return; }
      sendBtn.textContent = t("tResend", left);
    }, 1000);
  }
  function say(ok, text) {
    phoneMsg.textContent = text;
    phoneMsg.className = ok ? "hint ok" : "error";
    phoneMsg.setAttribute("role", ok ? "status" : "alert");
    phone.setAttribute("aria-invalid", ok ? "false" : "true");
    phone.closest(".field").classList.toggle("has-error", !ok);
  }
  if (sendBtn) {
    sendBtn.addEventListener("click", function (e) {
      e.preventDefault();
      var body = new FormData();
      body.append("csrf_token", window.csrfToken());
      body.append("phone", phone.value);
      sendBtn.disabled = true;
      sendBtn.textContent = t("tSending");
      fetch(form.dataset.codeUrl, {method: "POST", body: body, credentials: "same-origin",
                                   headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          say(answer.ok, answer.message);
          if (answer.resend_after) { countdown(answer.resend_after); } else { sendBtn.disabled = false; sendBtn.textContent = t("tResendNow"); }
          if (answer.ok) { document.getElementById("otp").focus(); }
        })
        .catch(function () { say(false, t("tNetwork")); sendBtn.disabled = false; sendBtn.textContent = t("tResendNow"); });
    });
  }

  // ----- the map and the phone's location ---------------------------------------
  function inside(la, ln) { return la >= extent.s && la <= extent.n && ln >= extent.w && ln <= extent.e; }
  function place(la, ln) {
    if (la === null) {
      lat.value = ""; lng.value = ""; marker.setAttribute("cx", -20); marker.setAttribute("cy", -20);
      pointText.textContent = ""; clear.hidden = true;
    } else {
      lat.value = la.toFixed(5); lng.value = ln.toFixed(5);
      marker.setAttribute("cx", (ln - extent.w) / (extent.e - extent.w) * box.width);
      marker.setAttribute("cy", (extent.n - la) / (extent.n - extent.s) * box.height);
      pointText.textContent = t("tPoint", lat.value + ", " + lng.value); clear.hidden = false;
    }
    refreshNearby();
  }
  if (svg) {
    if (lat.value) { clear.hidden = false; }
    svg.addEventListener("click", function (e) {
      var p = svg.createSVGPoint();
      p.x = e.clientX; p.y = e.clientY;
      var at = p.matrixTransform(svg.getScreenCTM().inverse());
      place(extent.n - at.y / box.height * (extent.n - extent.s), extent.w + at.x / box.width * (extent.e - extent.w));
    });
    clear.addEventListener("click", function () { place(null, null); });
  }
  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    document.getElementById("locate-help").hidden = false;
    locate.addEventListener("click", function () {  // the press is the consent; the browser asks too
      navigator.geolocation.getCurrentPosition(function (pos) {
        var la = pos.coords.latitude, ln = pos.coords.longitude;
        if (inside(la, ln)) { place(la, ln); } else { pointText.textContent = t("tOutside"); }
      }, function () { pointText.textContent = t("tLocateFailed"); }, {enableHighAccuracy: true, timeout: 15000});
    });
  }

  // ----- reports nearby (+1) ------------------------------------------------------
  var section = document.getElementById("nearby"), list = document.getElementById("nearby-list");
  var item = document.getElementById("nearby-item"), category = document.getElementById("category");
  var commune = document.getElementById("commune_code"), pending = 0;
  function refreshNearby() {
    var params = new URLSearchParams();
    if (!category.value || (!commune.value && !lat.value)) { return; }
    params.set("category", category.value);
    if (commune.value) { params.set("commune_code", commune.value); }
    if (lat.value) { params.set("lat", lat.value); params.set("lng", lng.value); }
    var mine = ++pending;
    fetch(form.dataset.nearbyUrl + "?" + params.toString(), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {items: []}; })
      .then(function (page) {
        if (mine !== pending) { return; }  // an older answer after a newer question
        var chosen = form.querySelector("input[name=follow]:checked");
        var keep = chosen ? chosen.value : "";
        list.textContent = "";
        var en = form.dataset.lang === "en";
        page.items.forEach(function (r) {
          var li = item.content.firstElementChild.cloneNode(true);
          var radio = li.querySelector("input");
          radio.value = r.receipt_code;
          radio.checked = r.receipt_code === keep;
          var where = [r.address, r.commune_name].filter(Boolean).join(", ");
          li.querySelector(".nearby-text").textContent = (en ? r.category.name_en : r.category.name_vi) + (where ? " — " + where : "");
          var day = new Date(r.created_at).toLocaleDateString(en ? "en-GB" : "vi-VN", {timeZone: "Asia/Ho_Chi_Minh"});
          li.querySelector(".nearby-meta").textContent = day + " · " + (en ? r.status_label.en : r.status_label.vi) + " · " + r.receipt_code_display;
          list.appendChild(li);
        });
        if (!form.querySelector("input[name=follow]:checked")) { document.getElementById("follow-none").checked = true; }
        section.hidden = page.items.length === 0;
      })
      .catch(function () { /* the form works without the list */ });
  }
  if (category) { category.addEventListener("change", refreshNearby); }
  if (commune) { commune.addEventListener("change", refreshNearby); }
  var search = document.getElementById("category-search");
  if (search) { search.addEventListener("input", function () { setTimeout(refreshNearby, 0); }); }

  // ----- one submission ---------------------------------------------------------------
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit-report");
    setTimeout(function () { button.disabled = true; }, 0);  // after the browser took the form
  });
})();
