// neatlogs dashboard script. It never builds markup from data: the server renders every
// value escaped (message Markdown sanitized by server/markup.py); this file toggles elements,
// copies text, moves a keyboard selection, and inserts HTML the server rendered (a session's
// earlier or new turns, the sessions list's fresh rows) without reloading the page.
"use strict";

(function () {
  var body = document.body;
  var page = body.dataset.page || "";

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

  // Copy: the button's data-copy, else the text of its bubble's or value's .copy-source.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) { // plain http on another host: the old way
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var done = document.execCommand("copy");
      document.body.removeChild(area);
      if (done) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function sourceOf(button) {
    var holder = button.parentNode;
    while (holder && holder !== document.body) {
      var source = holder.querySelector(".copyable .copy-source, .copy-source");
      if (source) {
        return source;
      }
      holder = holder.parentNode;
    }
    return null;
  }

  function flash(button, text) {
    var before = button.dataset.label || button.textContent;
    button.dataset.label = before;
    button.textContent = text;
    setTimeout(function () { button.textContent = before; }, 1500);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var button = target.closest("button");
    if (button && button.classList.contains("copy")) {
      var source = button.dataset.copy !== undefined ? null : sourceOf(button);
      var text = button.dataset.copy !== undefined ? button.dataset.copy : (source ? source.textContent : "");
      copyText(text).then(function () { flash(button, "copied"); }, function () { flash(button, "copy failed"); });
    } else if (button && button.classList.contains("toggle-raw")) {
      var bubble = button.closest(".bubble");
      var rendered = bubble && bubble.querySelector(".rendered");
      var raw = bubble && bubble.querySelector(".raw");
      if (rendered && raw) {
        var showRaw = raw.hidden;
        raw.hidden = !showRaw;
        rendered.hidden = showRaw;
        button.textContent = showRaw ? "rendered" : "raw";
        button.setAttribute("aria-pressed", showRaw ? "true" : "false");
      }
    } else if (button && button.classList.contains("show-all")) {
      var box = button.parentNode.previousElementSibling;
      if (box && box.classList.contains("collapsible")) {
        var open = box.classList.toggle("expanded");
        button.textContent = open ? "show less" : "show all";
      }
    } else if (target.matches("img.thumb")) {
      target.classList.toggle("enlarged");
    }
  });

  // Keyboard: j/k move between turns (a session) or rows (a list), Enter opens, / searches, Esc goes back.
  function items() {
    var selector = page === "session" ? "ol.turns > li.turn" : "table.sessions tbody tr";
    return Array.prototype.slice.call(document.querySelectorAll(selector));
  }

  function selectedIndex(all) {
    for (var i = 0; i < all.length; i++) {
      if (all[i].classList.contains("selected")) {
        return i;
      }
    }
    return -1;
  }

  function select(all, index) {
    all.forEach(function (item) { item.classList.remove("selected"); item.removeAttribute("aria-current"); });
    var item = all[index];
    if (!item) {
      return;
    }
    item.classList.add("selected");
    item.setAttribute("aria-current", "true");
    item.tabIndex = -1;
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function openItem(item) {
    if (page === "session") {
      var spans = item.querySelector("details.spans");
      if (spans) {
        spans.open = !spans.open;
      }
      return;
    }
    var link = item.querySelector("a[href]");
    if (link) {
      location.href = link.href;
    }
  }

  function goBack() {
    var fromHere = document.referrer && document.referrer.indexOf(location.origin + "/") === 0;
    if (fromHere && history.length > 1) {
      history.back();
    } else {
      location.href = page === "trace" ? "/traces" : "/";
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    var target = event.target;
    var typing = target instanceof Element && (target.matches("input, textarea, select") || target.isContentEditable);
    if (typing) {
      if (event.key === "Escape") {
        target.blur();
      }
      return;
    }
    var all = items();
    var current = selectedIndex(all);
    if (event.key === "j" || event.key === "k") {
      var next = event.key === "j" ? Math.min(current + 1, all.length - 1) : Math.max(current - 1, 0);
      select(all, current < 0 ? 0 : next);
      event.preventDefault();
    } else if (event.key === "Enter" && current >= 0 && (target === all[current] || target === body)) {
      openItem(all[current]);
      event.preventDefault();
    } else if (event.key === "/") {
      var search = document.querySelector("input[type=search]");
      if (search) {
        search.focus();
        search.select();
        event.preventDefault();
      }
    } else if (event.key === "Escape") {
      if (current >= 0) {
        select(all, -1);
      } else if (page === "session" || page === "trace") {
        goBack();
      }
    }
  });

  // The sessions list refreshes itself: the same URL fetched again, its rows swapped in.
  var liveButton = document.querySelector("button.auto-refresh");
  if (page === "sessions" && liveButton) {
    var STATE_KEY = "neatlogs.sessions.autoRefresh";
    var every = Number(liveButton.dataset.intervalMs) || 3000;
    var paused = function () { return localStorage.getItem(STATE_KEY) === "paused"; };
    var showState = function () {
      liveButton.textContent = paused() ? "Resume live updates" : "Pause live updates";
      liveButton.setAttribute("aria-pressed", paused() ? "true" : "false");
      body.dataset.autoRefresh = paused() ? "paused" : "on";
    };
    liveButton.addEventListener("click", function () {
      if (paused()) {
        localStorage.removeItem(STATE_KEY);
      } else {
        localStorage.setItem(STATE_KEY, "paused");
      }
      showState();
    });
    showState();
    var refreshList = function () {
      if (paused() || document.visibilityState === "hidden") {
        setTimeout(refreshList, every);
        return;
      }
      fetch(location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null && !paused()) {
            swapRows(new DOMParser().parseFromString(html, "text/html"));
          }
          setTimeout(refreshList, every);
        })
        .catch(function () { setTimeout(refreshList, every * 3); });
    };
    var swapRows = function (fresh) {
      var oldBody = document.querySelector("table.sessions tbody");
      var newBody = fresh.querySelector("table.sessions tbody");
      if (oldBody && newBody) {
        var chosen = document.querySelector("table.sessions tbody tr.selected");
        var chosenId = chosen ? chosen.dataset.sessionId : null;
        var rows = Array.prototype.slice.call(newBody.children).map(function (row) { return document.adoptNode(row); });
        while (oldBody.firstChild) {
          oldBody.removeChild(oldBody.firstChild);
        }
        rows.forEach(function (row) {
          if (chosenId !== null && row.dataset.sessionId === chosenId) {
            row.classList.add("selected");
          }
          oldBody.appendChild(row);
        });
      } else if (newBody && !document.querySelector("main input:focus")) {
        // The first session arrived: the empty notice gives way to the list.
        var oldNotice = document.querySelector("main .notice");
        var table = fresh.querySelector("table.sessions");
        if (oldNotice && table) {
          oldNotice.parentNode.replaceChild(document.adoptNode(table), oldNotice);
        }
      }
      body.dataset.refreshedAt = String(Date.now());
    };
    setTimeout(refreshList, every);
  }

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
