// Progress of a results computation: the job's JSON status is fetched every 1.5 seconds and the progress bar
// and step updated; when the job ends the page is loaded again (the server then shows the results or the
// error). Without JavaScript the page has a "check again" link.
(function () {
  "use strict";
  var PERIOD_MS = 1500;
  var box = document.getElementById("compute-job");
  if (!box || box.getAttribute("data-state") === "failed") { return; }
  var bar = document.getElementById("compute-progress");
  var stage = document.getElementById("compute-stage");
  var percent = document.getElementById("compute-percent");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (status) {
        if (status === null) { window.setTimeout(poll, PERIOD_MS * 4); return; }
        if (status.state === "done" || status.state === "failed") {
          window.location.assign(box.getAttribute("data-page-url"));
          return;
        }
        if (bar) { bar.value = status.progress; bar.textContent = Math.round(status.progress * 100) + "%"; }
        if (percent) { percent.textContent = Math.round(status.progress * 100) + "%"; }
        if (stage) { stage.textContent = status.stage; }
        window.setTimeout(poll, PERIOD_MS);
      })
      .catch(function () { window.setTimeout(poll, PERIOD_MS * 4); });
  }
  window.setTimeout(poll, PERIOD_MS);
})();
