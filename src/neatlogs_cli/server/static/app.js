// neatlogs dashboard script. It never builds markup from data: the server renders every
// value escaped; this file toggles elements, and on a session page inserts turns the server
// rendered (earlier turns on demand, a live session's new turns) without reloading the page.
"use strict";

(function () {
  var body = document.body;

  // Delete buttons: ask first, then DELETE with the confirming header, then leave the page.
  document.querySelectorAll("button.delete[data-delete-url]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!window.confirm("Delete " + button.dataset.what + "? This cannot be undone.")) {
        return;
      }
      fetch(button.dataset.deleteUrl, {
        method: "DELETE", credentials: "same-origin", headers: { "x-neatlogs-confirm": "delete" }
      }).then(function (response) {
        if (response.ok) {
          location.href = button.dataset.then || "/";
        } else {
          button.textContent = "Delete failed (HTTP " + response.status + ")";
        }
      });
    });
  });

  if (body.dataset.page !== "session") {
    return;
  }
  var list = document.querySelector("ol.turns");
  var LIVE_MS = 60000; // the server's live window: a minute after the session's last span

  function fragmentNodes(html) {
    // The server's escaped HTML of whole turns; a parsed document runs no script it holds.
    var parsed = new DOMParser().parseFromString("<ol>" + html + "</ol>", "text/html");
    return Array.prototype.slice.call(parsed.body.firstElementChild.children).map(function (node) {
      return document.adoptNode(node);
    });
  }

  function fetchTurns(query) {
    // A session whose id is all dots is addressed as /sessions/?id=..: keep that id.
    var own = new URLSearchParams(location.search).get("id");
    var url = location.pathname + "?" + (own !== null ? "id=" + encodeURIComponent(own) + "&" : "") + query +
      "&fragment=1";
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      var earlier = response.headers.get("x-neatlogs-earlier");
      return response.text().then(function (html) {
        return { nodes: fragmentNodes(html), earlier: earlier ? JSON.parse(earlier) : null };
      });
    });
  }

  // Earlier turns, on demand: prepended above the first one, keeping the reader's place.
  var earlierLink = document.querySelector("a.load-earlier");
  if (earlierLink && list) {
    earlierLink.addEventListener("click", function (event) {
      event.preventDefault();
      var query = "before=" + earlierLink.dataset.before + "&upto=" + earlierLink.dataset.upto;
      earlierLink.textContent = "Loading earlier turns…";
      fetchTurns(query).then(function (got) {
        var height = document.documentElement.scrollHeight;
        var first = list.firstElementChild;
        got.nodes.forEach(function (node) { list.insertBefore(node, first); });
        window.scrollBy(0, document.documentElement.scrollHeight - height);
        if (got.earlier) {
          earlierLink.dataset.before = got.earlier.before;
          earlierLink.dataset.upto = got.earlier.upto;
          earlierLink.href = "?before=" + got.earlier.before + "&upto=" + got.earlier.upto;
          earlierLink.textContent = "Show earlier turns";
        } else {
          earlierLink.parentNode.removeChild(earlierLink);
        }
      }).catch(function () {
        location.href = earlierLink.href; // the plain page of earlier turns still works
      });
    });
  }

  if (!body.dataset.running || body.dataset.paged || !list) {
    return;
  }

  // A live session: when spans arrive, fetch its last turn again and what came after it.
  var known = body.dataset.spanCount;
  var quietSince = Date.now();

  function openTurns() {
    var open = {};
    list.querySelectorAll("details[data-remember]").forEach(function (el) {
      if (el.open) {
        open[el.dataset.remember] = true;
      }
    });
    return open;
  }

  function refreshTurns(summary) {
    var last = list.lastElementChild;
    var query = last ? "after=" + last.dataset.startNs + "&from=" + last.dataset.index : "after=0&from=1";
    var open = openTurns();
    return fetchTurns(query).then(function (got) {
      if (last && got.nodes.length) {
        list.removeChild(last);
      }
      got.nodes.forEach(function (node) {
        node.querySelectorAll("details[data-remember]").forEach(function (el) {
          if (open[el.dataset.remember]) {
            el.open = true;
          }
        });
        list.appendChild(node);
      });
      var turns = document.querySelector(".page-head .turn-count");
      var tokens = document.querySelector(".page-head .token-count");
      if (turns) {
        turns.textContent = summary.turn_count + (summary.turn_count === 1 ? " turn" : " turns");
      }
      if (tokens) {
        tokens.textContent = summary.token_count + " tokens";
      }
    });
  }

  function poll() {
    fetch(body.dataset.summaryUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (summary) {
        if (summary && String(summary.span_count) !== known) {
          known = String(summary.span_count);
          quietSince = Date.now();
          return refreshTurns(summary).then(function () { setTimeout(poll, 2000); });
        }
        if (Date.now() - quietSince > LIVE_MS) {
          var badge = document.querySelector(".badge.running");
          if (badge) {
            badge.parentNode.removeChild(badge); // nothing new for a minute: no longer live
          }
          return null;
        }
        setTimeout(poll, 2000);
        return null;
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
