// Shared by the pages' scripts. Job data is only ever written with textContent.
"use strict";
// A copy of value with every object's keys in sorted order (JSON.stringify keeps insertion order).
function sorted(value) {
  if (Array.isArray(value)) { return value.map(sorted); }
  if (value && typeof value === "object") {
    var out = {};
    Object.keys(value).sort().forEach(function (key) { out[key] = sorted(value[key]); });
    return out;
  }
  return value;
}
window.routiluxMonitor = {
  // Epoch seconds as "YYYY-MM-DD HH:MM:SS" UTC, as the server renders them.
  when: function (stamp) {
    return stamp == null ? "" : new Date(stamp * 1000).toISOString().replace("T", " ").slice(0, 19);
  },
  seconds: function (duration) {
    return duration == null ? "" : duration.toFixed(1) + " s";
  },
  // Indented JSON text with sorted keys, as the server's "pretty" filter writes it.
  pretty: function (value) {
    return JSON.stringify(sorted(value), null, 2);
  },
  // One line of JSON text with sorted keys, as the server's "compact" filter writes it.
  compact: function (value) {
    return JSON.stringify(sorted(value));
  },
  setText: function (element, text) {
    if (element && element.textContent !== String(text)) { element.textContent = String(text); }
  },
  FINAL: ["completed", "failed", "cancelled"]
};
