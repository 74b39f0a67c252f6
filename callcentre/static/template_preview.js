// The message templates page (admin): under each template's text, the message a sample ticket
// would get and the parts it is billed as, updated as the admin types. The server renders it
// (POST /admin/templates/preview) with the rules and encoding of the real message, so a
// refused text shows why here before it is saved. Same approach as sms_preview.js.
(function () {
  "use strict";
  function attach(field) {
    var box = field.parentNode.querySelector(".sms-preview");
    if (!box) return;
    var count = box.querySelector(".sms-count"), body = box.querySelector(".sms-body"),
        error = box.querySelector(".sms-error");
    var timer = null, asked = 0;
    function show(data) {
      count.textContent = data && data.message ? data.message : "";
      body.textContent = data && data.body ? data.body : "";
      error.textContent = data && data.error ? data.error : "";
      error.hidden = !(data && data.error);
    }
    function refresh() {
      var mine = ++asked;
      var form = new FormData();
      form.append("kind", field.dataset.kind);
      form.append("language", field.dataset.language);
      form.append("channel", field.dataset.channel);
      form.append("body", field.value);
      fetch(field.dataset.templatePreview, {method: "POST", body: form, credentials: "same-origin",
                                            headers: {"X-CSRFToken": window.csrfToken(), Accept: "application/json"}})
        .then(function (resp) {
          // 422: the text is refused; its ``error`` says why.
          return resp.ok || resp.status === 422 ? resp.json() : null;
        })
        .then(function (data) {
          if (mine !== asked) return;  // an older answer arriving late
          show(data);
        })
        .catch(function () { if (mine === asked) show(null); });
    }
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  }
  document.querySelectorAll("textarea[data-template-preview]").forEach(attach);
})();
