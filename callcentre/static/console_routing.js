// Operator console: the routing's suggestion beside the department field.
// When the category, the commune or the address change, GET /api/v1/routing/suggest says where
// the ticket would go and why; the department list follows it until the operator picks one by
// hand (then department_auto is "0" and the hand choice is sent as an override). The server
// routes again at saving, so a save before an answer arrives is routed the same way.
(function () {
  "use strict";
  var out = document.getElementById("route-suggestion");
  var category = document.getElementById("category");
  var dept = document.getElementById("department");
  var auto = document.getElementById("department_auto");
  if (!out || !category || !dept || !auto || !window.fetch) { return; }
  var commune = document.getElementById("commune_code");
  var address = document.getElementById("address");
  var search = document.getElementById("category-search");
  var english = document.documentElement.lang === "en";
  var seq = 0;
  var timer = null;
  // A refused save comes back with the flag as it was sent: a hand choice stays one.
  auto.value = auto.value === "0" || (auto.value !== "1" && dept.value) ? "0" : "1";

  function say(text, lead) {  // text only: names come from data, never as markup
    out.textContent = "";
    if (lead) {
      var strong = document.createElement("strong");
      strong.textContent = lead + " ";
      out.appendChild(strong);
    }
    out.appendChild(document.createTextNode(text));
    out.hidden = !text;
  }
  function show(s) {
    var name = english ? (s.department.name_en || s.department.name_vi) : s.department.name_vi;
    var why = english ? s.reason_label.en : s.reason_label.vi;
    var place = s.commune && s.commune_found ? " (" + s.commune.name + ")" : "";
    say(name + " — " + why + place, out.dataset.prefix);
    out.dataset.department = s.department.code;
    if (auto.value === "1") { dept.value = s.department.code; }
  }
  function ask() {
    clearTimeout(timer);
    var mine = ++seq;
    if (!category.value) { say(""); return; }
    var params = new URLSearchParams({ category: category.value });
    if (commune && commune.value) { params.set("commune_code", commune.value); }
    var typed = address ? address.value.trim().slice(0, 500) : "";
    if (typed) { params.set("address", typed); }
    fetch(out.dataset.url + "?" + params.toString(),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(String(resp.status)); }
        return resp.json();
      })
      .then(function (s) { if (mine === seq) { show(s); } })
      .catch(function () { if (mine === seq) { say(out.dataset.error); } });
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  }
  dept.addEventListener("change", function () { auto.value = "0"; });
  category.addEventListener("change", ask);
  if (search) { search.addEventListener("input", soon); }  // app.js picks the category as one types
  if (commune) { commune.addEventListener("change", ask); }
  if (address) { address.addEventListener("input", soon); }
  if (category.value) { ask(); }
})();
