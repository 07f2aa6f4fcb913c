// The check-in desk's live attendance: asks the server for the counts every few seconds
// and writes them into the page. Loaded as a file (no inline script: the portal's
// Content-Security-Policy allows scripts from the portal's own origin only).
(function () {
  "use strict";
  var box = document.querySelector("[data-attendance-url]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-attendance-url");
  var INTERVAL_MS = 5000;

  function show(counts) {
    Object.keys(counts).forEach(function (name) {
      var target = box.querySelector('[data-attendance="' + name + '"]');
      if (target && target.textContent !== String(counts[name])) target.textContent = String(counts[name]);
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) { if (counts) show(counts); })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, INTERVAL_MS); });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();
