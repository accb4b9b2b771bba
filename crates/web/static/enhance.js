// Enhancements only: every page works the same without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // An error summary takes the focus, so keyboard and screen-reader users
  // start where the problem is (GOV.UK's pattern).
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // A form sent once is not sent twice by a second click while the next
  // page loads; coming back (bfcache) lets it be sent again.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.sent === "1") { e.preventDefault(); return; }
    form.dataset.sent = "1";
  });
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < forms.length; i++) { delete forms[i].dataset.sent; }
  });
})();
