// Small fixes on top of Flask-Admin's scripts; loaded after them on every model page.
(function ($) {
  "use strict";
  if (!$) { return; }
  var isoDate = /^\d{4}-\d{2}-\d{2}$/;
  // Flask-Admin's date picker (daterangepicker 1.3) re-reads the field on every key press,
  // so typing "2026-11-23" key by key turns into year 0002... Only a complete date is read.
  function fixTypedDates(root) {
    $(root).find("[data-role=datepicker]").each(function () {
      var $input = $(this);
      var picker = $input.data("daterangepicker");
      if (!picker || $input.data("panel-typed-dates")) { return; }
      $input.off("keyup.daterangepicker").on("keyup.panel", function () {
        if (isoDate.test($input.val())) { picker.updateFromControl(); }
      });
      $input.data("panel-typed-dates", true);
    });
  }
  $(function () {
    fixTypedDates(document);
    // Inline forms (a new reception) are added later by Flask-Admin.
    $(document).on("click", ".inline-field > a.btn-primary", function () {
      window.setTimeout(function () { fixTypedDates(document); }, 0);
    });
  });
})(window.jQuery);

// A details page's panels (history, receptions, who looked...) are read after the page
// (views/shared/mixins/links.py details_panels_view): the link standing in for them is
// replaced by them. A redirect (the session ended) or an error keeps the link.
(function () {
  "use strict";
  function load() {
    var boxes = document.querySelectorAll("[data-panels-url]");
    Array.prototype.forEach.call(boxes, function (box) {
      if (!window.fetch) { return; }
      window.fetch(box.getAttribute("data-panels-url"), {
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (!response.ok) { throw new Error("panels: " + response.status); }
        return response.text();
      }).then(function (html) {
        box.innerHTML = html;
        box.setAttribute("data-panels-loaded", "1");
      }).catch(function (error) {
        box.setAttribute("data-panels-failed", "1");
        if (window.console) { window.console.warn(error); }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", load);
  } else {
    load();
  }
})();
