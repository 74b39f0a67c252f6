// /api/v1/docs: Swagger UI on the app's own OpenAPI document (a file, not inline: see http/security.py).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null  // never send the document to an outside validator
  });
})();
