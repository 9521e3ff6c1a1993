// Flask-Admin 2.2's model templates write a few inline event handlers (onclick="..."), which
// the Content-Security-Policy forbids (script-src-attr 'none'). views/inline_handlers.py
// renames them to data-panel-onclick in the template sources; this file binds the same
// behaviour with addEventListener. Only the handlers Flask-Admin 2.2.1 writes are known (the
// version is pinned); an unknown one is left unbound and logged to the console.
(function () {
  "use strict";
  function unquote(text) { return text.replace(/\\(.)/g, "$1"); }
  var HANDLERS = [
    // Row delete button: confirm first.
    [/^return faHelpers\.safeConfirm\('((?:[^'\\]|\\.)*)'\);?$/, function (el, m) {
      var message = unquote(m[1]);
      el.addEventListener("click", function (event) {
        if (!window.faHelpers.safeConfirm(message)) { event.preventDefault(); }
      });
    }],
    // "With selected" batch actions.
    [/^return modelActions\.execute\('((?:[^'\\]|\\.)*)'\);?$/, function (el, m) {
      var action = unquote(m[1]);
      el.addEventListener("click", function (event) {
        event.preventDefault();
        window.modelActions.execute(action);
      });
    }],
    // "Add" under an inline list (a reception under a card, a member under a unit).
    [/^faForm\.addInlineField\(this, '((?:[^'\\]|\\.)*)'\);?$/, function (el, m) {
      var fieldId = unquote(m[1]);
      el.addEventListener("click", function (event) {
        event.preventDefault();
        window.faForm.addInlineField(el, fieldId);
      });
    }],
    // Filter menu entries.
    [/^return false;?$/, function (el) {
      el.addEventListener("click", function (event) { event.preventDefault(); });
    }]
  ];
  function rebind(root) {
    var elements = root.querySelectorAll ? root.querySelectorAll("[data-panel-onclick]") : [];
    Array.prototype.forEach.call(elements, function (el) {
      var code = el.getAttribute("data-panel-onclick").trim();
      for (var i = 0; i < HANDLERS.length; i++) {
        var match = HANDLERS[i][0].exec(code);
        if (match) {
          el.removeAttribute("data-panel-onclick");
          HANDLERS[i][1](el, match);
          return;
        }
      }
      if (window.console) { window.console.warn("unknown Flask-Admin handler:", code); }
    });
  }
  // javascript:void(0) links (dropdown toggles) would be a blocked navigation.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='javascript:']") : null;
    if (link) { event.preventDefault(); }
  }, true);
  rebind(document);
  // Inline rows added later come from templates that may hold handlers too.
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      Array.prototype.forEach.call(change.addedNodes, function (node) {
        if (node.nodeType === 1) { rebind(node.parentNode || node); }
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
