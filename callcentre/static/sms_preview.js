// The ticket page: under a field whose text is texted to the citizen (resolve's answer,
// request_info's question), the SMS that will go, with its parts, as staff type. The server
// renders it (POST .../sms-preview) with the same template and encoding as the real message,
// so the count here is the one billed.
(function () {
  "use strict";
  function attach(field) {
    var box = field.parentNode.querySelector(".sms-preview");
    if (!box) return;
    var timer = null, asked = 0;
    function refresh() {
      var mine = ++asked;
      var form = new FormData();
      form.append("trigger", field.dataset.trigger);
      form.append("text", field.value);
      fetch(field.dataset.smsPreview, {method: "POST", body: form, credentials: "same-origin",
                                       headers: {"X-CSRFToken": window.csrfToken(), Accept: "application/json"}})
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (data) {
          if (mine !== asked) return;  // an older answer arriving late
          if (!data || !field.value.trim()) { box.hidden = true; return; }
          box.querySelector(".sms-count").textContent = data.message;
          box.querySelector(".sms-body").textContent = data.sent ? data.body : "";
          box.hidden = false;
        })
        .catch(function () { box.hidden = true; });
    }
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    if (field.value.trim()) refresh();
  }
  document.querySelectorAll("textarea[data-sms-preview]").forEach(attach);
})();
