// neatlogs dashboard script. It never builds markup from data: the server renders every
// value escaped, and this file only toggles elements and reloads a live session page.
"use strict";

(function () {
  var body = document.body;
  if (body.dataset.page !== "session") {
    return;
  }
  var storageKey = "neatlogs-open:" + location.pathname;

  // Keep the turns a reader opened open across the live page's reloads.
  function rememberOpen() {
    var open = [];
    document.querySelectorAll("details[data-remember]").forEach(function (el) {
      if (el.open) {
        open.push(el.dataset.remember);
      }
    });
    try {
      sessionStorage.setItem(storageKey, JSON.stringify({ open: open, y: window.scrollY }));
    } catch (e) { /* storage may be off: reloading still works */ }
  }

  function restoreOpen() {
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(storageKey) || "null");
      sessionStorage.removeItem(storageKey);
    } catch (e) { saved = null; }
    if (!saved) {
      return;
    }
    document.querySelectorAll("details[data-remember]").forEach(function (el) {
      if (saved.open.indexOf(el.dataset.remember) >= 0) {
        el.open = true;
      }
    });
    window.scrollTo(0, saved.y || 0);
  }

  restoreOpen();
  if (!body.dataset.running) {
    return;
  }
  var known = body.dataset.spanCount;
  function poll() {
    fetch(body.dataset.summaryUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (summary) {
        if (summary && String(summary.span_count) !== known) {
          rememberOpen();
          location.reload();
          return;
        }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
