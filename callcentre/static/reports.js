// The report period picker: show only the fields of the chosen kind of period (month, quarter,
// year, custom). Without this script every field shows and the server reads the chosen ones.
(function () {
  "use strict";
  var form = document.getElementById("report-period");
  if (!form) { return; }
  var select = form.querySelector("select[name=period]");
  function update() {
    form.querySelectorAll("[data-period]").forEach(function (field) {
      field.hidden = field.getAttribute("data-period").split(" ").indexOf(select.value) < 0;
    });
  }
  select.addEventListener("change", update);
  update();
}());
