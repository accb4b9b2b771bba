// Enhancements only: every page works the same without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // On a narrow screen the header's links fold under a "Menu" button; without
  // this script they are simply all shown.
  var toggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("menu");
  if (toggle && menu) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
  }
  // An error summary takes the focus, so keyboard and screen-reader users
  // start where the problem is (GOV.UK's pattern).
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // A question page saves the draft a moment after typing stops, so nothing
  // typed is lost if the person leaves; the page's own buttons still save.
  var draft = document.querySelector("form[data-autosave]");
  if (draft && window.fetch && window.FormData && window.URLSearchParams) {
    var version = draft.querySelector("input[name=version]");
    var said = draft.querySelector(".autosave");
    var timer = null, busy = false, again = false, pending = false, waiting = null;
    var say = function (text) { if (said) { said.textContent = text; } };
    var save = function () {
      // Once the page is sent, its own save carries everything.
      if (draft.dataset.sent === "1") { return; }
      if (busy) { again = true; return; }
      busy = true;
      // Files go with the person's own save, not while typing.
      var data = new URLSearchParams();
      new FormData(draft).forEach(function (v, k) {
        if (typeof v === "string" && k !== "_action") { data.append(k, v); }
      });
      data.set("_action", "autosave");
      var options = { method: "POST", body: data, credentials: "same-origin" };
      // A save that hangs must not hold the person's own button for long.
      if (window.AbortController) {
        var stop = new AbortController();
        options.signal = stop.signal;
        setTimeout(function () { stop.abort(); }, 8000);
      }
      fetch(draft.action, options)
        .then(function (r) {
          var v = r.headers.get("x-draft-version");
          if (r.status === 204 && v && version) {
            version.value = v;
            say(said ? said.getAttribute("data-saved") : "");
          } else {
            say("");
          }
        })
        .catch(function () { say(""); })
        .then(function () {
          busy = false;
          if (again) { again = false; save(); return; }
          // A button pressed while saving is pressed again with the new version.
          if (pending) { pending = false; draft.requestSubmit(waiting || undefined); }
        });
    };
    var later = function () { say(""); clearTimeout(timer); timer = setTimeout(save, 1200); };
    draft.addEventListener("input", later);
    draft.addEventListener("change", later);
    draft.addEventListener("submit", function (e) {
      clearTimeout(timer);
      if (busy && draft.requestSubmit) {
        e.preventDefault();
        pending = true;
        waiting = e.submitter || null;
      }
    });
  }
  // The times of a day stay current while the person chooses: a time others
  // have just taken is withdrawn, and if it was the chosen one, they are told.
  var times = document.getElementById("times");
  if (times && window.fetch && window.DOMParser) {
    var tell = document.querySelector(".times-live");
    var form = times.form || times.parentNode;
    var day = form.querySelector("input[name=date]");
    // The day's own address (the page may have come from a refused booking).
    var url = form.getAttribute("action") + "?date=" + encodeURIComponent(day ? day.value : "");
    var refresh = function () {
      if (document.hidden || !day) { return; }
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html");
          // Only this day's times, or its word that none are left, is news;
          // anything else (an error, a sign-in page) is not.
          if (!fresh.getElementById("times") && !fresh.getElementById("day-full")) { return; }
          var free = {};
          fresh.querySelectorAll("#times input[name=start_ms]").forEach(function (i) { free[i.value] = true; });
          times.querySelectorAll("input[name=start_ms]").forEach(function (i) {
            if (free[i.value] || i.disabled) { return; }
            if (i.checked) {
              i.checked = false;
              if (tell) { tell.textContent = tell.getAttribute("data-taken"); }
            }
            i.disabled = true;
            i.parentNode.classList.add("taken");
          });
        })
        .catch(function () {});
    };
    setInterval(refresh, Number(times.getAttribute("data-refresh-ms")) || 15000);
  }
  // A form sent once is not sent twice by a second click while the next
  // page loads; coming back (bfcache) lets it be sent again.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented) { return; }
    if (form.dataset.sent === "1") { e.preventDefault(); return; }
    form.dataset.sent = "1";
  });
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < forms.length; i++) { delete forms[i].dataset.sent; }
  });
})();
