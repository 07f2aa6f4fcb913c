// A visitor who has not chosen a time zone sees times in their browser's zone:
// remember it in the cookie the server reads, then show the page again once.
(function () {
  "use strict";
  if (document.cookie.split("; ").some(function (c) { return c.indexOf("viewer_tz=") === 0; })) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  document.cookie = "viewer_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
  var select = document.getElementById("time-zone-select");
  if (select && select.getAttribute("data-current") !== zone && document.body.getAttribute("data-signed-in") !== "true") {
    window.location.reload();
  }
})();
