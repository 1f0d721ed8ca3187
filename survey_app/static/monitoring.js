// Live monitoring of a campaign: every 30 seconds the counts table is fetched again from the server
// (an HTML fragment rendered by the same template) and swapped in. Without JavaScript the page shows when
// it was updated and a link to refresh it.
(function () {
  "use strict";
  var PERIOD_MS = 30000;
  function refresh() {
    var current = document.getElementById("monitoring");
    if (!current || document.hidden) { return; }
    fetch(current.getAttribute("data-refresh-url"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (reply) { return reply.ok ? reply.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var parsed = new DOMParser().parseFromString(html, "text/html").getElementById("monitoring");
        if (parsed) { current.replaceWith(document.importNode(parsed, true)); }
      })
      .catch(function () { /* the next round tries again */ });
  }
  window.setInterval(refresh, PERIOD_MS);
})();
