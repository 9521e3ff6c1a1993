// Progress of a background check or import (views/shared/imports.py): ask the server how far
// the job is, show it, and open the next page when the job has ended. Served by the panel
// (no CDN); the page still works without it through its refresh link.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector(".progress-bar");
  var rows = document.getElementById("import-rows");
  function show(data) {
    var total = data.total || 0;
    var done = total ? Math.min(100, Math.round((100 * data.rows) / total)) : 0;
    bar.style.width = (total ? done : 100) + "%";
    if (!total) { bar.classList.add("progress-bar-striped", "progress-bar-animated"); }
    rows.textContent = total ? data.rows + " / " + total : String(data.rows);
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished) {
          window.location.assign(data.next);
          return;
        }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
