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
