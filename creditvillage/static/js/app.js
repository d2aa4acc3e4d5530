/* Small behaviours shared by every page; no inline handlers, so a strict CSP can forbid them. */
(function () {
  "use strict";
  // <select data-autosubmit>: submit its form as soon as the choice changes (the language switcher).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
})();
