// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  var announcer = document.getElementById("announcer");

  // Said to screen readers (and shown nowhere else): cleared first so a repeat is repeated.
  function announce(message) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = message; }, 30);
  }

  // A "select all" checkbox toggles the checkboxes named by its data-select-all attribute.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
    var name = box.dataset.selectAll;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });

  // ------------------------------------------------------------ queue counts that refresh

  var countsUrl = document.body.dataset.queueCounts;
  var refreshSeconds = parseInt(document.body.dataset.refreshSeconds || "", 10);

  function showCounts(sizes) {
    Object.keys(sizes).forEach(function (queue) {
      var value = String(sizes[queue]);
      document.querySelectorAll('[data-queue-size="' + queue + '"], [data-queue="' + queue + '"]')
        .forEach(function (node) { if (node.textContent !== value) node.textContent = value; });
    });
  }

  function refreshCounts() {
    if (!countsUrl) return Promise.resolve();
    return fetch(countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (sizes) { if (sizes) showCounts(sizes); })
      .catch(function () { /* the next poll tries again */ });
  }

  if (countsUrl && refreshSeconds > 0) {
    window.setInterval(function () {
      if (document.visibilityState === "visible") refreshCounts();
    }, refreshSeconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") refreshCounts();
    });
  }

  // ------------------------------------------------------------ queue keyboard shortcuts

  var queue = document.querySelector("ol[data-shortcuts]");
  if (!queue) return;
  var help = document.getElementById("shortcut-help");
  var csrf = document.querySelector('input[name="csrf_token"]');
  var current = null;

  function items() {
    return Array.prototype.slice.call(queue.querySelectorAll("li.item:not(.done)"));
  }

  function select(item) {
    if (current) current.classList.remove("current");
    current = item || null;
    if (!current) return;
    current.classList.add("current");
    current.focus();
    current.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = items();
    if (!all.length) { announce("Nothing left in this queue."); return; }
    var index = all.indexOf(current);
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[next]);
  }

  function describe(item) {
    var author = item.querySelector(".author");
    return "comment " + item.dataset.commentId + (author ? " by " + author.textContent : "");
  }

  var DONE = { approve: "approved", "not-spam": "marked not spam", reject: "rejected", spam: "marked as spam" };

  function act(action) {
    if (!current) move(1);
    var item = current;
    if (!item || !csrf) return;
    if (action === "approve" && item.dataset.status === "spam") action = "not-spam";
    var body = new URLSearchParams();
    body.set("csrf_token", csrf.value);
    fetch(item.dataset.actionUrl + action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var message = (data.error && data.error.message) || "The action failed (" + response.status + ").";
          announce("Could not act on " + describe(item) + ": " + message);
          return;
        }
        var next = items()[items().indexOf(item) + 1] || null;
        item.classList.add("done");
        item.hidden = true;
        announce(describe(item).replace(/^c/, "C") + " " + DONE[action] + ".");
        select(next || items()[items().length - 1]);
        refreshCounts();
      });
    }, function () { announce("The service could not be reached; nothing was changed."); });
  }

  function contextLine(entry, label) {
    var line = document.createElement("li");
    var who = document.createElement("strong");
    who.textContent = (label ? label + " — " : "") + (entry.author_name || "Anonymous") + " (" + entry.status + "): ";
    line.appendChild(who);
    line.appendChild(document.createTextNode(entry.text.length > 300 ? entry.text.slice(0, 300) + " …" : entry.text));
    return line;
  }

  function toggleContext() {
    if (!current) move(1);
    var item = current;
    if (!item) return;
    var shown = item.querySelector(".context");
    if (shown) { shown.remove(); item.focus(); announce("Thread context hidden."); return; }
    var url = queue.dataset.contextUrl.replace(/\/0\/context$/, "/" + item.dataset.commentId + "/context");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var box = document.createElement("section");
        box.className = "context";
        box.tabIndex = -1;
        box.setAttribute("aria-label", "Thread context of comment " + item.dataset.commentId);
        var heading = document.createElement("h3");
        heading.textContent = data.parent ? "In reply to" : "Top-level comment";
        box.appendChild(heading);
        var list = document.createElement("ol");
        if (data.parent) list.appendChild(contextLine(data.parent, "Parent"));
        var siblings = document.createElement("ol");
        // The thread's order: this comment between its earlier and later siblings.
        data.siblings.concat([data.comment]).sort(function (x, y) {
          return x.created_at < y.created_at ? -1 : x.created_at > y.created_at ? 1 : x.id - y.id;
        }).forEach(function (entry) {
          var mine = entry.id === data.comment.id;
          var line = contextLine(entry, mine ? "This comment" : "");
          if (mine) line.className = "self";
          siblings.appendChild(line);
        });
        box.appendChild(list);
        var siblingsHeading = document.createElement("h3");
        siblingsHeading.textContent = data.siblings.length ? "Nearest comments beside it" : "No other comment beside it";
        box.appendChild(siblingsHeading);
        box.appendChild(siblings);
        item.querySelector(".body").insertBefore(box, item.querySelector(".body .meta"));
        box.focus();
        announce("Thread context shown: " + (data.parent ? "a parent and " : "") + data.siblings.length + " nearby comments.");
      }, function () { announce("The thread context could not be loaded."); });
  }

  var KEYS = {
    j: function () { move(1); },
    k: function () { move(-1); },
    a: function () { act("approve"); },
    r: function () { act("reject"); },
    s: function () { act("spam"); },
    c: toggleContext,
    "?": function () { if (help && !help.open) help.showModal(); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable=true]")) return;
    if (help && help.open) return;  // the dialog handles Esc itself
    var handler = KEYS[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  });

  queue.addEventListener("click", function (event) {
    var item = event.target instanceof Element ? event.target.closest("li.item") : null;
    if (item && item !== current) select(item);
  });
})();
