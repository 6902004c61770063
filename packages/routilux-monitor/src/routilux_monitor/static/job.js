// The job page, live: follows /api/jobs/ID/events (Server-Sent Events) and sends the actions.
"use strict";
(function () {
  var M = window.routiluxMonitor;
  var jobId = document.getElementById("summary").dataset.jobId;
  var base = "/api/jobs/" + encodeURIComponent(jobId);
  var events = document.getElementById("events");
  var outputs = document.getElementById("outputs");
  var LOG_LIMIT = 2000;

  function lastIndex(container) {
    var last = container.lastElementChild;
    return last ? Number(last.dataset.index) : -1;
  }

  // A span and a space after it, as the server's template lays the log's parts out.
  function span(li, cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    li.appendChild(s);
    li.appendChild(document.createTextNode(" "));
  }

  function eventItem(e) {
    var li = document.createElement("li");
    li.className = "event " + e.kind;
    li.dataset.index = e.index;
    span(li, "kind", e.kind);
    if (e.time) { span(li, "time", M.when(e.time)); }
    if (e.routine) { span(li, "routine", e.routine); }
    if (e.kind === "emit") {
      span(li, "what", e.event);
      var code = document.createElement("code");
      code.className = "data";
      code.textContent = M.compact(e.data);
      li.appendChild(code);
    } else if (e.kind === "status") {
      span(li, "what", e.status);
    } else if (e.kind === "retry") {
      span(li, "what", "attempt " + e.attempt);
    } else if (e.kind === "error") {
      span(li, "what", (e.error_type || "error") + (e.slot ? " in " + e.slot : ""));
      var pre = document.createElement("pre");
      pre.textContent = e.traceback || e.error;
      li.appendChild(pre);
    }
    return li;
  }

  function append(container, items, make) {
    var after = lastIndex(container);
    items.forEach(function (item) {
      if (item.index > after) { container.appendChild(make(item)); }
    });
    while (container.children.length > LOG_LIMIT) { container.removeChild(container.firstElementChild); }
  }

  function outputItem(o) {
    var pre = document.createElement("pre");
    pre.className = "output";
    pre.dataset.index = o.index;
    pre.textContent = M.pretty(o);
    return pre;
  }

  function routines(counts) {
    Object.keys(counts).forEach(function (id) {
      var c = counts[id];
      var g = document.querySelector('#graph g.routine[data-routine-id="' + CSS.escape(id) + '"]');
      if (!g) { return; }
      g.setAttribute("data-state", c.state);
      M.setText(g.querySelector(".done"), c.done + c.failed);
      M.setText(g.querySelector(".errors"), c.errors);
      M.setText(g.querySelector(".retries"), c.retries);
      M.setText(g.querySelector(".queued"), c.queued);
    });
  }

  function update(message) {
    var status = document.getElementById("status");
    M.setText(status, message.status);
    status.dataset.status = message.status;
    M.setText(document.getElementById("done"), message.done);
    M.setText(document.getElementById("queued"), message.queued);
    M.setText(document.getElementById("errors"), message.errors);
    M.setText(document.getElementById("events-total"), message.events_total);
    document.getElementById("behind").hidden = !message.behind;
    routines(message.routines);
    var scrolled = events.scrollTop + events.clientHeight >= events.scrollHeight - 4;
    append(events, message.events, eventItem);
    if (scrolled) { events.scrollTop = events.scrollHeight; }
    append(outputs, message.outputs, outputItem);
    M.setText(document.querySelector("#routine-states pre"), M.pretty(message.routine_states));
    M.setText(document.querySelector("#shared-data pre"), M.pretty(message.shared_data));
  }

  var source = null;
  function follow() {
    if (source) { return; }
    source = new EventSource(base + "/events");
    source.addEventListener("update", function (event) {
      var message = JSON.parse(event.data);
      update(message);
      // The server ends the stream of a final job; closing here keeps EventSource from reconnecting.
      if (M.FINAL.indexOf(message.status) >= 0) { source.close(); source = null; }
    });
  }
  if (M.FINAL.indexOf(document.getElementById("status").dataset.status) < 0) { follow(); }

  var result = document.getElementById("action-result");
  document.querySelectorAll(".actions button").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.dataset.action;
      result.className = "";
      M.setText(result, action + "…");
      fetch(base + "/" + action, { method: "POST", credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (answer) {
          result.className = answer.ok ? "" : "refused";
          M.setText(result, answer.ok ? action + " requested" : answer.body.error);
          // A resumed job runs again (and a completed one may be paused): follow it anew.
          if (answer.ok) { follow(); }
        })
        .catch(function (error) { result.className = "refused"; M.setText(result, String(error)); });
    });
  });
})();
