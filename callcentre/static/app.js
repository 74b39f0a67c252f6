// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // The page's CSRF token, for the scripts that POST with fetch (live.js, sms_preview.js,
  // template_preview.js; loaded after this file).
  window.csrfToken = function () {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  };
  function fold(s) {  // lower-case, no diacritics; đ does not decompose, map it by hand
    return s.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  // Operator console: filter categories by text typed with or without diacritics.
  var search = document.getElementById("category-search");
  var select = document.getElementById("category");
  var dept = document.getElementById("department");
  var deptTouched = false;
  function syncDept() {
    var opt = select && select.options[select.selectedIndex];
    if (dept && opt && opt.dataset.dept && !deptTouched) { dept.value = opt.dataset.dept; }
  }
  if (dept) { dept.addEventListener("change", function () { deptTouched = true; }); }
  if (select) { select.addEventListener("change", syncDept); }
  if (search && select) {
    search.addEventListener("input", function () {
      var key = fold(search.value.trim());
      var first = null;
      Array.prototype.forEach.call(select.options, function (opt) {
        if (!opt.value) { return; }
        var hit = !key || (opt.dataset.search || "").indexOf(key) !== -1;
        opt.hidden = !hit; opt.disabled = !hit;
        if (hit && !first) { first = opt; }
      });
      if (first && key) { select.value = first.value; syncDept(); }
    });
    search.addEventListener("keydown", function (e) {  // Enter picks the first match, moves on
      if (e.key === "Enter") { e.preventDefault(); select.focus(); }
    });
  }
  // "Attach to this ticket" buttons in the caller's history.
  Array.prototype.forEach.call(document.querySelectorAll("[data-attach]"), function (btn) {
    btn.addEventListener("click", function () {
      var code = document.getElementById("attach_code");
      var radio = document.querySelector("input[name=outcome][value=attach]");
      if (code) { code.value = btn.dataset.attach; }
      if (radio) { radio.checked = true; }
      if (code) { code.focus(); }
    });
  });
})();
// Ctrl+Enter (or Cmd+Enter) submits the form being typed in, from any field.
document.addEventListener("keydown", function (e) {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.form) {
    e.preventDefault();
    if (e.target.form.requestSubmit) { e.target.form.requestSubmit(); } else { e.target.form.submit(); }
  }
});
