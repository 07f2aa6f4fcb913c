// Live preview of the minutes: the text is posted to the server, which renders the
// Markdown and sanitises it with nh3 (forums/markdown.py), and the answer replaces the
// preview. Nothing is rendered here, so the page and the published minutes always agree.
// A file of its own, not an inline script: the portal runs under a strict CSP.
(function () {
  "use strict";
  var form = document.getElementById("minutes-form");
  if (!form || !window.fetch || !window.FormData) return;
  var textarea = form.querySelector("textarea[data-preview-target]");
  if (!textarea) return;
  var target = document.getElementById(textarea.getAttribute("data-preview-target"));
  var url = form.getAttribute("data-preview-url");
  var tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!target || !url || !tokenInput) return;
  var timer = null;
  var latest = 0;

  function refresh() {
    var request = ++latest;
    var data = new FormData();
    data.append("body", textarea.value);
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenInput.value }
    })
      .then(function (response) {
        if (!response.ok) throw new Error("preview answered " + response.status);
        return response.text();
      })
      .then(function (html) {
        // Only the answer to the latest keystroke: answers can arrive out of order.
        if (request === latest) target.innerHTML = html;
      })
      .catch(function () { /* keep the last preview; saving still works */ });
  }

  textarea.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
})();
