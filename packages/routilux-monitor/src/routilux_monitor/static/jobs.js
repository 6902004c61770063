// The jobs page, live: polls /api/jobs (same filters and page) every second and updates the rows.
"use strict";
(function () {
  var M = window.routiluxMonitor;
  var table = document.getElementById("jobs");
  var body = table.tBodies[0];
  var POLL_MS = 1000;
  var flowFilter = document.getElementById("filter-flow");

  function go(select, key) {
    select.addEventListener("change", function () {
      var params = new URLSearchParams(window.location.search);
      params.delete("before");
      if (select.value) { params.set(key, select.value); } else { params.delete(key); }
      var query = params.toString();
      window.location.assign("/" + (query ? "?" + query : ""));
    });
  }
  go(document.getElementById("filter-status"), "status");
  go(flowFilter, "flow");

  var CELLS = ["job", "flow", "status", "started", "duration", "done", "queued", "errors"];

  function makeRow(job) {
    var tr = document.createElement("tr");
    tr.dataset.jobId = job.job_id;
    CELLS.forEach(function (name) {
      var td = document.createElement("td");
      td.className = name;
      if (name === "job") {
        var a = document.createElement("a");
        a.href = "/jobs/" + encodeURIComponent(job.job_id);
        a.textContent = job.job_id;
        td.appendChild(a);
      }
      tr.appendChild(td);
    });
    return tr;
  }

  function fill(tr, job) {
    tr.dataset.status = job.status;
    var cell = function (name) { return tr.querySelector("td." + name); };
    M.setText(cell("flow"), job.flow_id);
    M.setText(cell("status"), job.status);
    M.setText(cell("started"), M.when(job.started_at));
    M.setText(cell("duration"), M.seconds(job.duration));
    M.setText(cell("done"), job.done);
    M.setText(cell("queued"), job.queued);
    M.setText(cell("errors"), job.errors);
  }

  // A flow first seen after the page loaded joins the flow filter.
  function offerFlow(flowId) {
    var known = Array.prototype.some.call(flowFilter.options, function (o) { return o.value === flowId; });
    if (!known) {
      var option = document.createElement("option");
      option.value = flowId;
      option.textContent = flowId;
      flowFilter.appendChild(option);
    }
  }

  function render(jobs) {
    var existing = {};
    Array.prototype.forEach.call(body.rows, function (tr) { existing[tr.dataset.jobId] = tr; });
    var previous = null;
    jobs.forEach(function (job) {
      var tr = existing[job.job_id] || makeRow(job);
      delete existing[job.job_id];
      fill(tr, job);
      var wanted = previous ? previous.nextSibling : body.firstChild;
      if (wanted !== tr) { body.insertBefore(tr, wanted); }
      previous = tr;
    });
    Object.keys(existing).forEach(function (id) { body.removeChild(existing[id]); });
    jobs.forEach(function (job) { offerFlow(job.flow_id); });
    document.getElementById("empty").hidden = jobs.length > 0;
  }

  function poll() {
    var params = new URLSearchParams();
    ["status", "flow", "limit", "before"].forEach(function (key) {
      var value = table.dataset[key];
      if (value) { params.set(key, value); }
    });
    fetch("/api/jobs?" + params.toString(), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (page) { if (page) { render(page.jobs); } })
      .catch(function () { /* the server is away for a moment: try again at the next tick */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }
  window.setTimeout(poll, POLL_MS);
})();
