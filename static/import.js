// Progress bar of a long import: while the import request runs, ask the server how many
// rows it has done and show it against the total the check found.
(function () {
  "use strict";
  var form = document.getElementById("run-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var total = parseInt(form.getAttribute("data-total"), 10) || 0;
    var url = form.getAttribute("data-progress-url");
    var box = document.getElementById("import-progress");
    var bar = box.querySelector(".progress-bar");
    var button = document.getElementById("run");
    box.classList.remove("d-none");
    window.setTimeout(function () { button.disabled = true; }, 0);
    function poll() {
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var done = total ? Math.min(100, Math.round((100 * data.rows) / total)) : 0;
          bar.style.width = done + "%";
          bar.textContent = data.rows + " / " + total;
        })
        .catch(function () { /* the next poll tries again */ })
        .finally(function () { window.setTimeout(poll, 500); });
    }
    poll();
  });
})();
