/*
 * engagement embed: the counters and the comment thread of a magazine page.
 *
 * Plain JavaScript, no framework, no build step. Served by the service at /embed.js; the page
 * adds a container and this script:
 *
 *   <div data-engagement-thread data-key="the-slug" data-title="The headline"></div>
 *   <script src="https://comments.example/embed.js" defer></script>
 *
 * and, for listing pages, any number of <span data-engagement-counter data-key="..."></span>.
 *
 * Signed-in readers (SSO): the magazine's page puts the sign-in token its backend signed in
 * the container's `data-sso-token` attribute, or a single-page site calls
 * `window.engagement.signIn(token)` once its reader logs in and `window.engagement.signOut()`
 * when they log out. The widget exchanges the token once for a reader session, kept in this
 * browser until it expires, and then shows the reader's name instead of the name and email
 * fields. Where sign-in is required, a guest sees why and a link to `data-login-url` (or the
 * login page the service is configured with).
 *
 * Safety: the only HTML ever inserted is a comment's `html`, which the service sanitized when
 * the comment was written. Every other field goes in as text. No eval, no inline styles: the
 * widget runs under a strict Content-Security-Policy.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var BASE = (script.getAttribute("data-service") || script.src.replace(/\/embed\.js([?#].*)?$/, ""))
    .replace(/\/+$/, "");
  var API = BASE + "/api/v1";
  var BATCH = 100;
  var SORTS = ["oldest", "newest", "top"];
  var REASONS = ["spam", "abuse", "off-topic", "other"];
  var FIELDS = ["text", "author_name", "author_email", "author_website"];
  var THEMES = ["light", "dark", "auto"];
  var idSeq = 0;

  // ---------------------------------------------------------------- small helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = String(value);
        else if (name === "class") node.className = value;
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function uid(prefix) {
    idSeq += 1;
    return "eg-" + prefix + "-" + idSeq;
  }

  function isWebUrl(value) {
    return typeof value === "string" && /^https?:\/\//i.test(value);
  }

  // Browsers may refuse storage (private modes, blocked third-party storage): fall back to memory.
  var memoryStore = {};
  var store = {
    get: function (key) {
      try {
        var raw = window.localStorage.getItem(key);
        return raw === null ? null : JSON.parse(raw);
      } catch (e) {
        return key in memoryStore ? memoryStore[key] : null;
      }
    },
    set: function (key, value) {
      memoryStore[key] = value;
      try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* memory only */ }
    },
    remove: function (key) {
      delete memoryStore[key];
      try { window.localStorage.removeItem(key); } catch (e) { /* memory only */ }
    }
  };

  function storeKey(kind, id) {
    return "engagement:" + BASE + ":" + kind + ":" + id;
  }

  // ---------------------------------------------------------------- HTTP

  function ApiFailure(status, body, retryAfter) {
    var error = (body && body.error) || {};
    this.status = status;
    this.code = error.code || (status === 0 ? "network" : "http_" + status);
    this.message = error.message || "";
    this.field = error.field || null;
    this.retryAfter = retryAfter;
  }

  // ---------------------------------------------------------------- the signed-in reader

  var READER_KEY = "engagement:" + BASE + ":reader";
  var readerListeners = [];

  function currentReader() {
    var saved = store.get(READER_KEY);
    if (!saved || !saved.session) return null;
    if (saved.expires_at && Date.parse(saved.expires_at) < Date.now()) {
      store.remove(READER_KEY);
      return null;
    }
    return saved;
  }

  function announceReader() {
    var reader = currentReader();
    readerListeners.forEach(function (listener) { listener(reader); });
  }

  // A token is spent once exchanged: remember which one opened the session, so reloading a
  // page that carries the same token keeps the session instead of being refused as a replay.
  function tokenMark(token) {
    return String(token).slice(-43);
  }

  function signIn(token) {
    if (!token) return Promise.reject(new Error("no token"));
    var saved = currentReader();
    if (saved && saved.token === tokenMark(token)) return Promise.resolve(saved.reader);
    return request("POST", "/sso/session", { token: token }).then(function (answer) {
      var data = answer.data || {};
      store.set(READER_KEY, { session: data.session, expires_at: data.expires_at, reader: data.reader, token: tokenMark(token) });
      announceReader();
      return data.reader;
    }, function (failure) {
      store.remove(READER_KEY);
      announceReader();
      throw failure;
    });
  }

  function signOut() {
    store.remove(READER_KEY);
    announceReader();
  }

  function readerHeaders(headers) {
    var reader = currentReader();
    var all = headers || {};
    if (reader) all.Authorization = "Bearer " + reader.session;
    return all;
  }

  window.engagement = {
    signIn: signIn,
    signOut: signOut,
    reader: function () { var saved = currentReader(); return saved ? saved.reader : null; }
  };

  function request(method, path, body, headers) {
    var init = { method: method, credentials: "omit", mode: "cors", headers: headers || {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(
      function (response) {
        return response.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
          if (!response.ok) {
            var retry = parseInt(response.headers.get("Retry-After") || "", 10);
            throw new ApiFailure(response.status, data, isNaN(retry) ? null : retry);
          }
          return { status: response.status, data: data };
        });
      },
      function () { throw new ApiFailure(0, null, null); }
    );
  }

  // ---------------------------------------------------------------- language

  function pickLocale(container) {
    var wanted = (container && container.getAttribute("data-lang")) ||
      document.documentElement.getAttribute("lang") || navigator.language || "en";
    try {
      return Intl.getCanonicalLocales(wanted)[0] || "en";
    } catch (e) {
      return "en";
    }
  }

  var catalogs = {};

  function loadMessages(locale) {
    if (!catalogs[locale]) {
      catalogs[locale] = fetch(BASE + "/embed/messages/" + encodeURIComponent(locale) + ".json",
        { credentials: "omit", mode: "cors" })
        .then(function (response) { return response.ok ? response.json() : { messages: {} }; })
        .catch(function () { return { messages: {} }; })
        .then(function (catalog) {
          // Words fell back to another language (no file for this one): format like them too.
          var primary = function (tag) { return String(tag || "").split("-")[0].toLowerCase(); };
          var formatting = !catalog.lang || primary(catalog.lang) === primary(locale) ? locale : catalog.lang;
          return new Speaker(formatting, catalog.messages || {});
        });
    }
    return catalogs[locale];
  }

  function Speaker(locale, messages) {
    this.locale = locale;
    this.messages = messages;
    this.numbers = new Intl.NumberFormat(locale);
    this.plurals = new Intl.PluralRules(locale);
    this.dates = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  }

  Speaker.prototype.t = function (key, values) {
    var message = this.messages[key];
    if (message === undefined) return key;
    if (typeof message === "object") {
      var count = values && typeof values.n === "number" ? values.n : 0;
      message = message[this.plurals.select(count)] || message.other || key;
    }
    var numbers = this.numbers;
    return String(message).replace(/\{(\w+)\}/g, function (whole, name) {
      if (!values || !(name in values)) return whole;
      var value = values[name];
      return typeof value === "number" ? numbers.format(value) : String(value);
    });
  };

  Speaker.prototype.has = function (key) {
    return Object.prototype.hasOwnProperty.call(this.messages, key);
  };

  Speaker.prototype.date = function (iso) {
    var when = new Date(iso);
    return isNaN(when.getTime()) ? "" : this.dates.format(when);
  };

  // What a refusal means for the reader, in their language; the service's own words otherwise.
  Speaker.prototype.failure = function (failure) {
    if (failure.code === "rate_limited") {
      return failure.retryAfter
        ? this.t("error.rate_limited_for", { n: failure.retryAfter })
        : this.t("error.rate_limited");
    }
    var specific = "error." + failure.code + (failure.field ? "." + failure.field : "");
    if (this.has(specific)) return this.t(specific);
    if (this.has("error." + failure.code)) return this.t("error." + failure.code);
    if (failure.status === 0) return this.t("error.network");
    return failure.message || this.t("error.unknown");
  };

  // ---------------------------------------------------------------- styles

  function addStylesheet() {
    if (script.getAttribute("data-css") === "false") return;
    var href = BASE + "/embed.css";
    if (document.querySelector('link[data-engagement-css]')) return;
    var link = el("link", { rel: "stylesheet", href: href, "data-engagement-css": true });
    // First in <head>, so the page's own rules win over ours.
    document.head.insertBefore(link, document.head.firstChild);
  }

  // ---------------------------------------------------------------- counters

  var counterListeners = {};

  function renderCounter(node, speaker, counts) {
    node.textContent = "";
    node.classList.add("eg-counter");
    node.appendChild(el("span", { class: "eg-counter-comments", text: speaker.t("counter.comments", { n: counts.comments }) }));
    node.appendChild(document.createTextNode(" / "));
    node.appendChild(el("span", { class: "eg-counter-views", text: speaker.t("counter.views", { n: counts.views }) }));
    node.setAttribute("data-comments", String(counts.comments));
    node.setAttribute("data-views", String(counts.views));
  }

  function counterNodes(key) {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-engagement-counter]"),
      function (node) { return node.getAttribute("data-key") === key; }
    );
  }

  function showCounts(key, counts) {
    counterNodes(key).forEach(function (node) {
      loadMessages(pickLocale(node)).then(function (speaker) { renderCounter(node, speaker, counts); });
    });
    (counterListeners[key] || []).forEach(function (listener) { listener(counts); });
  }

  function fillCounters(skip) {
    var keys = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-engagement-counter]"), function (node) {
      var key = node.getAttribute("data-key");
      if (key && keys.indexOf(key) < 0 && skip.indexOf(key) < 0) keys.push(key);
    });
    for (var start = 0; start < keys.length; start += BATCH) {
      var chunk = keys.slice(start, start + BATCH);
      request("GET", "/counters?keys=" + chunk.map(encodeURIComponent).join(",")).then(function (answer) {
        var counters = (answer.data && answer.data.counters) || {};
        Object.keys(counters).forEach(function (key) { showCounts(key, counters[key]); });
      }, function () { /* counters stay empty: nothing to show is better than a wrong number */ });
    }
  }

  // ---------------------------------------------------------------- the thread widget

  function Thread(root, speaker) {
    this.root = root;
    this.t = speaker.t.bind(speaker);
    this.speaker = speaker;
    this.key = root.getAttribute("data-key");
    this.sort = SORTS.indexOf(root.getAttribute("data-sort")) >= 0 ? root.getAttribute("data-sort") : "oldest";
    this.pageSize = parseInt(root.getAttribute("data-page-size") || "", 10) || null;
    this.cursor = null;
    this.open = true;
    this.counts = { comments: 0, views: 0 };
    this.nodes = {};
  }

  Thread.prototype.start = function () {
    var self = this;
    this.build();
    readerListeners.push(function () { self.refreshIdentity(); });
    (counterListeners[this.key] = counterListeners[this.key] || []).push(function (counts) {
      self.counts = { comments: counts.comments, views: counts.views };
      renderCounter(self.counter, self.speaker, self.counts);
    });
    var view = this.root.getAttribute("data-record-view") === "false"
      ? Promise.resolve()
      : this.recordView();
    // Both requests at once; only a new article, which its first view registers, is read again.
    return this.load(false, view);
  };

  // What registers the article when this page is the first to show it: the page's title,
  // address and language.
  Thread.prototype.describe = function () {
    var about = {
      title: this.root.getAttribute("data-title") || document.title || "",
      lang: pickLocale(this.root)
    };
    var url = this.root.getAttribute("data-url") || canonicalUrl();
    if (isWebUrl(url)) about.url = url;
    return about;
  };

  Thread.prototype.recordView = function () {
    var self = this;
    return request("POST", "/articles/" + encodeURIComponent(this.key) + "/views", this.describe()).then(
      function (answer) { showCounts(self.key, answer.data); },
      function (failure) { if (failure.status !== 0) self.announce(self.speaker.failure(failure)); }
    );
  };

  Thread.prototype.build = function () {
    var root = this.root;
    root.textContent = "";
    root.classList.add("eg");
    root.setAttribute("lang", this.speaker.locale);
    root.setAttribute("data-eg-theme", themeOf(root));
    this.heading = el("h2", { class: "eg-heading", id: uid("heading"), text: this.t("thread.title") });
    root.setAttribute("role", "region");
    root.setAttribute("aria-labelledby", this.heading.id);
    this.counter = el("p", { class: "eg-counter" });
    this.status = el("p", { class: "eg-status", role: "status", "aria-live": "polite" });
    this.closedNote = el("p", { class: "eg-closed", hidden: true, text: this.t("thread.closed") });
    this.form = this.commentForm({ parentId: null });
    this.gate = el("p", { class: "eg-gate", hidden: true });
    this.sortSelect = el("select", { class: "eg-sort", id: uid("sort") },
      SORTS.map(function (sort) { return el("option", { value: sort, text: this.t("sort." + sort) }); }, this));
    this.sortSelect.value = this.sort;
    this.sortSelect.addEventListener("change", this.resort.bind(this));
    var toolbar = el("div", { class: "eg-toolbar" }, [
      el("label", { class: "eg-label", for: this.sortSelect.id, text: this.t("sort.label") }),
      this.sortSelect
    ]);
    this.list = el("ol", { class: "eg-comments" });
    this.empty = el("p", { class: "eg-empty", hidden: true, text: this.t("thread.empty") });
    this.more = el("button", { type: "button", class: "eg-button eg-more", hidden: true, text: this.t("thread.more") });
    this.more.addEventListener("click", this.load.bind(this, true));
    this.feed = el("p", { class: "eg-feed" }, [el("a", {
      href: BASE + "/feeds/articles/" + encodeURIComponent(this.key) + "/comments.atom",
      type: "application/atom+xml", text: this.t("thread.feed")
    })]);
    [this.heading, this.counter, this.closedNote, this.gate, this.form.node, this.status, toolbar, this.empty,
      this.list, this.more, this.feed].forEach(function (node) { root.appendChild(node); });
  };

  Thread.prototype.announce = function (message) {
    // Cleared first so the same message twice is announced twice.
    var status = this.status;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  };

  Thread.prototype.threadPath = function (more) {
    // An article nobody registered yet reads as an empty thread (not a 404 in the console):
    // the first view, sent alongside, registers it.
    var query = ["sort=" + encodeURIComponent(this.sort), "missing=empty"];
    if (this.pageSize) query.push("limit=" + this.pageSize);
    if (more && this.cursor) query.push("cursor=" + encodeURIComponent(this.cursor));
    return "/articles/" + encodeURIComponent(this.key) + "/comments?" + query.join("&");
  };

  // Read the first page (more: false) or the next one. `registering` is the first view's
  // request: an article unknown to the service is read again once that view registered it.
  Thread.prototype.load = function (more, registering) {
    var self = this;
    var ticket = this.ticket = (this.ticket || 0) + 1;
    this.more.disabled = true;
    this.root.setAttribute("aria-busy", "true");
    return request("GET", this.threadPath(more)).then(function (answer) {
      if (ticket !== self.ticket) return;  // a newer sort or page was asked for meanwhile
      var data = answer.data || {};
      if (!more) {
        self.list.textContent = "";
        self.nodes = {};
      }
      if (data.article) self.applyArticle(data.article);
      else if (registering) registering.then(function () { self.empty.hidden = self.list.children.length > 0; });
      (data.comments || []).forEach(function (comment) {
        // A comment posted here since the first page may come again with a later page.
        var shown = self.nodes[comment.id];
        if (shown) shown.item.remove();
        self.list.appendChild(self.commentNode(comment));
      });
      self.cursor = data.next_cursor || null;
      self.more.hidden = !self.cursor;
      self.empty.hidden = self.list.children.length > 0;
      if (more) self.announce(self.t("thread.loaded", { n: (data.comments || []).length }));
    }, function (failure) {
      if (ticket !== self.ticket) return;
      if (failure.status === 0 && !more) return self.checkOrigin(failure);
      if (failure.code === "article_not_found" && !more) {
        self.empty.hidden = false;
        if (registering) return registering.then(function () { return self.load(false); });
        return;
      }
      self.announce(self.speaker.failure(failure));
    }).then(function () {
      if (ticket !== self.ticket) return;
      self.more.disabled = false;
      self.root.removeAttribute("aria-busy");
    });
  };

  // A request that failed without an answer: a network failure, or CORS refusing this page's
  // origin. The service says which to any page; a refused page shows no form.
  Thread.prototype.checkOrigin = function (failure) {
    var self = this;
    return fetch(BASE + "/embed/origin", { credentials: "omit", mode: "cors" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer && answer.allowed === false) {
          self.refuse(answer.origin || window.location.origin);
        } else {
          self.announce(self.speaker.failure(failure));
        }
      }, function () { self.announce(self.speaker.failure(failure)); });
  };

  Thread.prototype.refuse = function (origin) {
    this.form.node.remove();
    this.feed.remove();
    this.empty.hidden = true;
    this.more.hidden = true;
    this.refused = el("p", { class: "eg-refused", role: "status", text: this.t("thread.refused") });
    this.root.insertBefore(this.refused, this.counter.nextSibling);
    if (window.console && console.error) {
      console.error("engagement: comments are not shown because this page's origin " + origin +
        " is not allowed by the comment service at " + BASE +
        ". Add it to ENGAGEMENT_ALLOWED_ORIGINS there.");
    }
  };

  Thread.prototype.resort = function () {
    this.sort = this.sortSelect.value;
    this.cursor = null;
    this.load(false);
  };

  // Who may comment here, and whether this reader may: a guest where sign-in is needed sees
  // why, and a link to the magazine's login page, instead of the form.
  Thread.prototype.applyGate = function () {
    var rule = this.commenting || "anyone";
    var reader = currentReader();
    var refusal = null;
    if (rule !== "anyone" && !reader) refusal = rule === "subscribers" ? "gate.subscribers_sign_in" : "gate.sign_in";
    else if (rule === "subscribers" && reader && !reader.reader.subscriber) refusal = "gate.subscribers_only";
    this.gate.textContent = "";
    this.gate.hidden = !refusal || !this.open;
    this.form.node.hidden = !this.open || !!refusal;
    this.gated = !!refusal;
    var replyHidden = !this.open || this.gated;
    Array.prototype.forEach.call(this.list.querySelectorAll(".eg-reply-button"), function (button) {
      button.hidden = replyHidden;
    });
    if (!refusal) return;
    this.gate.appendChild(document.createTextNode(this.t(refusal) + " "));
    var login = this.root.getAttribute("data-login-url") || this.loginUrl;
    if (!reader && isWebUrl(login)) {
      this.gate.appendChild(el("a", { class: "eg-login", href: login, text: this.t("gate.login") }));
    }
  };

  // The reader signed in or out: the form and the controls on their own comments follow.
  Thread.prototype.refreshIdentity = function () {
    var replacement = this.commentForm({ parentId: null });
    this.form.node.replaceWith(replacement.node);
    this.form = replacement;
    this.applyGate();
    var self = this;
    Object.keys(this.nodes).forEach(function (id) {
      var record = self.nodes[id];
      if (!record.comment || record.comment.deleted) return;
      var own = self.mayChange(record.comment);
      if (own && !(record.authorControls || []).length) self.addAuthorControls(record);
      else if (!own) self.dropAuthorControls(record);
    });
  };

  // Whether this browser may change the comment: its edit secret is here, or the signed-in
  // reader wrote it (on any device) and the edit window is still open.
  Thread.prototype.mayChange = function (comment) {
    if (this.editSecret(comment.id)) return true;
    var reader = currentReader();
    if (!reader || !comment.author_id || comment.author_id !== reader.reader.id) return false;
    var minutes = this.editWindowMinutes;
    if (typeof minutes !== "number") return true;
    return Date.parse(comment.created_at) + minutes * 60000 > Date.now();
  };

  Thread.prototype.applyArticle = function (article) {
    this.canNotify = article.reply_notifications === true;
    (this.notifyRefreshers || []).forEach(function (refresh) { refresh(); });
    this.open = article.open !== false;
    this.closedNote.hidden = this.open;
    this.form.node.hidden = !this.open;
    this.commenting = article.commenting || "anyone";
    this.loginUrl = article.login_url || null;
    if (typeof article.edit_window_minutes === "number") this.editWindowMinutes = article.edit_window_minutes;
    this.applyGate();
    if (typeof article.comments === "number" && typeof article.views === "number") {
      // The view recorded alongside may have answered first: never show fewer views than it.
      showCounts(this.key, { comments: article.comments, views: Math.max(article.views, this.counts.views) });
    }
    if (!this.open) this.closeReplyForms();
  };

  Thread.prototype.closeReplyForms = function () {
    Array.prototype.forEach.call(this.list.querySelectorAll(".eg-reply-button"), function (button) {
      button.hidden = true;
    });
  };

  Thread.prototype.changeCount = function (delta) {
    showCounts(this.key, { comments: Math.max(0, this.counts.comments + delta), views: this.counts.views });
  };

  // ---------------------------------------------------------------- one comment

  Thread.prototype.commentNode = function (comment) {
    var self = this;
    var item = el("li", { class: "eg-comment", id: "eg-comment-" + comment.id, "data-id": comment.id });
    var article = el("article", { class: "eg-card", "aria-labelledby": "eg-author-" + comment.id });
    item.appendChild(article);
    var removed = comment.deleted === true || comment.status === "deleted";

    var name = comment.author_name || this.t("comment.anonymous");
    var author = isWebUrl(comment.author_website) && !removed
      ? el("a", { href: comment.author_website, rel: "nofollow ugc noopener", class: "eg-author", id: "eg-author-" + comment.id, text: name })
      : el("span", { class: "eg-author", id: "eg-author-" + comment.id, text: removed ? this.t("comment.removed_author") : name });
    var header = el("header", { class: "eg-meta" }, [
      this.avatar(comment, removed),
      author,
      el("time", { class: "eg-date", datetime: comment.created_at, text: this.speaker.date(comment.created_at) })
    ]);
    if (comment.edited_at && !removed) header.appendChild(el("span", { class: "eg-edited", text: this.t("comment.edited") }));
    if (comment.author_staff && !removed) header.appendChild(el("span", { class: "eg-staff", text: this.t("comment.staff") }));
    if (comment.pinned) header.appendChild(el("span", { class: "eg-pinned", text: this.t("comment.pinned") }));
    article.appendChild(header);

    var body = el("div", { class: "eg-body" });
    if (removed) {
      body.appendChild(el("p", { class: "eg-removed", text: this.t("comment.removed") }));
    } else {
      // The one place HTML from the service is inserted: the comment body, sanitized on write.
      body.innerHTML = comment.html || "";
    }
    article.appendChild(body);

    var actions = el("div", { class: "eg-actions" });
    article.appendChild(actions);
    var replies = el("ol", { class: "eg-replies" });
    item.appendChild(replies);
    var record = { comment: comment, item: item, body: body, actions: actions, replies: replies };
    this.nodes[comment.id] = record;

    if (!removed) {
      actions.appendChild(this.likeButton(comment));
      var reply = el("button", { type: "button", class: "eg-link eg-reply-button", hidden: !this.open || this.gated, text: this.t("comment.reply") });
      reply.setAttribute("aria-label", this.t("comment.reply_to", { name: name }));
      reply.addEventListener("click", function () { self.openReply(record); });
      actions.appendChild(reply);
      if (this.mayChange(comment)) this.addAuthorControls(record);
      actions.appendChild(this.reportControl(record));
    }
    (comment.replies || []).forEach(function (child) { replies.appendChild(self.commentNode(child)); });
    return item;
  };

  Thread.prototype.avatar = function (comment, removed) {
    if (isWebUrl(comment.avatar) && !removed) {
      return el("img", { class: "eg-avatar", src: comment.avatar, alt: "", width: 32, height: 32, loading: "lazy", referrerpolicy: "no-referrer" });
    }
    // A hash: a coloured initial, the colour one of eight theme-able classes.
    var hash = String(comment.avatar || comment.id || "0");
    var hue = parseInt(hash.slice(0, 2), 16);
    var initial = removed ? "" : (comment.author_name || "?").trim().charAt(0).toUpperCase();
    return el("span", { class: "eg-avatar eg-avatar-" + ((isNaN(hue) ? hash.length : hue) % 8), "aria-hidden": "true", text: initial || "?" });
  };

  // Like, and press again to take the like back; the count comes from the service each time.
  Thread.prototype.likeButton = function (comment) {
    var self = this;
    var liked = !!store.get(storeKey("liked", comment.id));
    var count = el("span", { class: "eg-like-count", text: this.speaker.numbers.format(comment.likes || 0) });
    var button = el("button", { type: "button", class: "eg-link eg-like", "aria-pressed": liked ? "true" : "false" }, [
      el("span", { text: this.t("comment.like") + " " }), count
    ]);
    button.setAttribute("aria-label", this.t("comment.like_count", { n: comment.likes || 0 }));
    button.addEventListener("click", function () {
      var undo = button.getAttribute("aria-pressed") === "true";
      button.disabled = true;
      request(undo ? "DELETE" : "POST", "/comments/" + comment.id + "/likes", undo ? undefined : {}).then(function (answer) {
        var data = answer.data || {};
        var likes = typeof data.likes === "number" ? data.likes : Math.max(0, (comment.likes || 0) + (undo ? -1 : 1));
        comment.likes = likes;
        count.textContent = self.speaker.numbers.format(likes);
        button.setAttribute("aria-label", self.t("comment.like_count", { n: likes }));
        button.setAttribute("aria-pressed", undo ? "false" : "true");
        if (undo) store.remove(storeKey("liked", comment.id));
        else store.set(storeKey("liked", comment.id), true);
        button.disabled = false;
        self.announce(self.t(undo ? "comment.unliked" : "comment.liked"));
      }, function (failure) {
        button.disabled = false;
        self.announce(self.speaker.failure(failure));
      });
    });
    return button;
  };

  Thread.prototype.reportControl = function (record) {
    var self = this;
    var comment = record.comment;
    var wrap = el("span", { class: "eg-report" });
    if (store.get(storeKey("reported", comment.id))) {
      wrap.appendChild(el("span", { class: "eg-reported", text: this.t("report.done") }));
      return wrap;
    }
    var toggle = el("button", { type: "button", class: "eg-link eg-report-button", "aria-expanded": "false", text: this.t("comment.report") });
    var select = el("select", { class: "eg-report-reason", id: uid("reason") }, REASONS.map(function (reason) {
      return el("option", { value: reason, text: self.t("report." + reason) });
    }));
    var send = el("button", { type: "submit", class: "eg-button", text: self.t("report.send") });
    var cancel = el("button", { type: "button", class: "eg-link", text: self.t("form.cancel") });
    var form = el("form", { class: "eg-report-form", hidden: true }, [
      el("label", { class: "eg-label", for: select.id, text: this.t("report.reason") }), select, send, cancel
    ]);
    toggle.addEventListener("click", function () {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", form.hidden ? "false" : "true");
      if (!form.hidden) select.focus();
    });
    cancel.addEventListener("click", function () {
      form.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send.disabled = true;
      request("POST", "/comments/" + comment.id + "/reports", { reason: select.value }).then(function () {
        store.set(storeKey("reported", comment.id), true);
        wrap.textContent = "";
        wrap.appendChild(el("span", { class: "eg-reported", text: self.t("report.done") }));
        self.announce(self.t("report.done"));
      }, function (failure) {
        send.disabled = false;
        self.announce(self.speaker.failure(failure));
      });
    });
    wrap.appendChild(toggle);
    wrap.appendChild(form);
    return wrap;
  };

  // ---------------------------------------------------------------- the author's own comments

  Thread.prototype.editSecret = function (id) {
    var secret = store.get(storeKey("edit", id));
    if (!secret) return null;
    if (secret.until && Date.parse(secret.until) < Date.now()) {
      store.remove(storeKey("edit", id));
      return null;
    }
    return secret;
  };

  // The secret stays in this browser until the service's edit window closes.
  Thread.prototype.rememberSecret = function (answer, text) {
    var until = answer.editable_until || null;
    store.set(storeKey("edit", answer.comment.id), { token: answer.edit_token, text: text, until: until });
  };

  Thread.prototype.addAuthorControls = function (record) {
    var self = this;
    var edit = el("button", { type: "button", class: "eg-link eg-edit-button", text: this.t("comment.edit") });
    var remove = el("button", { type: "button", class: "eg-link eg-delete-button", text: this.t("comment.delete") });
    edit.addEventListener("click", function () { self.openEdit(record); });
    remove.addEventListener("click", function () {
      // Two steps instead of window.confirm(): works inside any page and for keyboard users.
      if (remove.getAttribute("data-confirm") !== "true") {
        remove.setAttribute("data-confirm", "true");
        remove.textContent = self.t("comment.delete_confirm");
        return;
      }
      self.deleteComment(record);
    });
    record.actions.appendChild(edit);
    record.actions.appendChild(remove);
    record.authorControls = [edit, remove];
    var secret = this.editSecret(record.comment.id);
    var until = secret && secret.until ? Date.parse(secret.until)
      : typeof this.editWindowMinutes === "number" ? Date.parse(record.comment.created_at) + this.editWindowMinutes * 60000 : NaN;
    var left = until - Date.now();
    if (left > 0 && left < 2147483647) {
      window.setTimeout(function () {
        if (!record.editForm) self.dropAuthorControls(record);
      }, left);
    }
  };

  Thread.prototype.dropAuthorControls = function (record) {
    (record.authorControls || []).forEach(function (node) { node.remove(); });
    record.authorControls = [];
  };

  // How this browser proves it may change the comment: the edit secret, or the reader session.
  Thread.prototype.authorProof = function (record) {
    var secret = this.editSecret(record.comment.id);
    if (secret) return { secret: secret, headers: { "X-Edit-Token": secret.token } };
    if (this.mayChange(record.comment)) {
      return { secret: { text: record.comment.text || null }, headers: readerHeaders({}) };
    }
    return null;
  };

  Thread.prototype.openEdit = function (record) {
    var self = this;
    var proof = this.authorProof(record);
    var secret = proof && proof.secret;
    if (!secret) {
      this.dropAuthorControls(record);
      this.announce(this.t("error.edit_expired"));
      return;
    }
    if (record.editForm) { record.editForm.focus(); return; }
    var form = this.commentForm({ edit: record, text: secret.text || textOf(record.body) });
    record.editForm = form;
    record.body.hidden = true;
    record.body.parentNode.insertBefore(form.node, record.body.nextSibling);
    form.focus();
  };

  Thread.prototype.closeEdit = function (record) {
    if (!record.editForm) return;
    record.editForm.node.remove();
    record.editForm = null;
    record.body.hidden = false;
  };

  Thread.prototype.deleteComment = function (record) {
    var self = this;
    var proof = this.authorProof(record);
    if (!proof) {
      this.dropAuthorControls(record);
      this.announce(this.t("error.edit_expired"));
      return;
    }
    request("DELETE", "/comments/" + record.comment.id, undefined, proof.headers).then(function () {
      store.remove(storeKey("edit", record.comment.id));
      if (record.replies.children.length) {
        var placeholder = self.commentNode({ id: record.comment.id, deleted: true, created_at: record.comment.created_at, replies: [] });
        var replies = record.replies;
        placeholder.replaceChild(replies, placeholder.querySelector(".eg-replies"));
        record.item.replaceWith(placeholder);
      } else {
        record.item.remove();
        delete self.nodes[record.comment.id];
      }
      if (record.comment.status !== "pending") self.changeCount(-1);
      self.announce(self.t("comment.deleted"));
    }, function (failure) {
      self.forgetSecretIfRefused(record, failure);
      self.announce(self.speaker.failure(failure));
    });
  };

  Thread.prototype.forgetSecretIfRefused = function (record, failure) {
    if (failure.status === 403 || failure.status === 401 || failure.status === 404) {
      store.remove(storeKey("edit", record.comment.id));
      this.dropAuthorControls(record);
    }
  };

  // ---------------------------------------------------------------- the comment form

  // One form for a new comment, a reply (options.parentId) or an edit (options.edit).
  Thread.prototype.commentForm = function (options) {
    var self = this;
    var editing = !!options.edit;
    var node = el("form", { class: "eg-form" + (editing ? " eg-form-edit" : ""), novalidate: true });
    var inputs = {};
    var errorId = uid("error");

    function field(name, control, hint) {
      var id = uid(name);
      control.id = id;
      control.name = name;
      control.classList.add("eg-input");
      inputs[name] = control;
      var children = [el("label", { class: "eg-label", for: id, text: self.t("form." + name) }), control];
      if (hint) {
        var hintId = uid("hint");
        control.setAttribute("aria-describedby", hintId);
        children.push(el("p", { class: "eg-hint", id: hintId, text: hint }));
      }
      return el("div", { class: "eg-field eg-field-" + name }, children);
    }

    if (options.parentId) {
      node.appendChild(el("p", { class: "eg-replying", text: this.t("form.replying_to", { name: options.parentName || this.t("comment.anonymous") }) }));
    }
    var text = el("textarea", { rows: editing ? 4 : 5, required: true, maxlength: 10000 });
    text.value = options.text || "";
    node.appendChild(field("text", text, editing ? null : this.t("form.text_hint")));
    var reader = editing ? null : currentReader();
    if (reader) {
      var who = el("p", { class: "eg-signed-in" }, [this.t("form.signed_in_as") + " ", el("strong", { class: "eg-reader-name", text: reader.reader.name || this.t("comment.anonymous") })]);
      if (reader.reader.staff) who.appendChild(el("span", { class: "eg-staff", text: this.t("comment.staff") }));
      node.appendChild(who);
    }
    if (!editing && !reader) {
      var identity = el("div", { class: "eg-identity" }, [
        field("author_name", el("input", { type: "text", autocomplete: "name", maxlength: 100 })),
        field("author_email", el("input", { type: "email", autocomplete: "email", maxlength: 254 }), this.t("form.email_hint")),
        field("author_website", el("input", { type: "url", autocomplete: "url", maxlength: 500, placeholder: "https://" }))
      ]);
      node.appendChild(identity);
      this.restoreIdentity(inputs);
      node.appendChild(this.notifyField(inputs));
      // A field people never see: bots that fill every input give themselves away. Its name
      // here means nothing to autofill; it is sent as the service's honeypot field, `url`.
      var trap = el("input", { type: "text", name: "eg-trap", tabindex: "-1", autocomplete: "off" });
      node.appendChild(el("div", { class: "eg-trap", "aria-hidden": "true" }, [
        el("label", { text: "Leave this empty" }, [trap])
      ]));
      inputs.trap = trap;
    }
    if (reader) {
      inputs.trap = el("input", { type: "hidden" });
    }
    var error = el("p", { class: "eg-error", id: errorId, role: "alert", "aria-live": "assertive" });
    node.appendChild(error);
    var submit = el("button", {
      type: "submit", class: "eg-button eg-submit",
      text: this.t(editing ? "form.save" : options.parentId ? "form.send_reply" : "form.send")
    });
    var buttons = el("div", { class: "eg-buttons" }, [submit]);
    if (editing || options.parentId) {
      var cancel = el("button", { type: "button", class: "eg-link eg-cancel", text: this.t("form.cancel") });
      cancel.addEventListener("click", function () { form.cancel(); });
      buttons.appendChild(cancel);
    }
    node.appendChild(buttons);

    var form = {
      node: node,
      inputs: inputs,
      focus: function () { text.focus(); },
      cancel: function () {
        if (editing) self.closeEdit(options.edit);
        else if (options.onCancel) options.onCancel();
      },
      showError: function (message, fieldName) {
        FIELDS.forEach(function (name) {
          if (inputs[name]) inputs[name].removeAttribute("aria-invalid");
        });
        error.textContent = message;
        var target = fieldName && inputs[fieldName];
        if (target) {
          target.setAttribute("aria-invalid", "true");
          target.setAttribute("aria-errormessage", errorId);
          target.focus();
        }
      },
      clearError: function () { form.showError("", null); }
    };

    node.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && (editing || options.parentId)) form.cancel();
    });
    node.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submit.disabled) return;
      submit.disabled = true;
      node.setAttribute("aria-busy", "true");
      var done = editing ? self.saveEdit(options.edit, form) : self.post(options.parentId || null, form);
      done.then(function () {
        submit.disabled = false;
        node.removeAttribute("aria-busy");
      });
    });
    return form;
  };

  // "Email me when someone replies": offered only when the service sends mail and an email
  // address is typed.
  Thread.prototype.notifyField = function (inputs) {
    var self = this;
    var box = el("input", { type: "checkbox", class: "eg-checkbox", id: uid("notify"), name: "notify_replies" });
    var hintId = uid("hint");
    box.setAttribute("aria-describedby", hintId);
    var field = el("div", { class: "eg-field eg-field-notify", hidden: true }, [
      el("label", { class: "eg-check" }, [box, document.createTextNode(" " + this.t("form.notify_replies"))]),
      el("p", { class: "eg-hint", id: hintId, text: this.t("form.notify_hint") })
    ]);
    field.querySelector("label").setAttribute("for", box.id);
    inputs.notify_replies = box;
    function refresh() {
      field.hidden = !(self.canNotify && inputs.author_email.value.trim());
      if (field.hidden) box.checked = false;
    }
    inputs.author_email.addEventListener("input", refresh);
    (this.notifyRefreshers = this.notifyRefreshers || []).push(refresh);
    refresh();
    return field;
  };

  Thread.prototype.restoreIdentity = function (inputs) {
    var saved = store.get("engagement:identity") || {};
    ["author_name", "author_email", "author_website"].forEach(function (name) {
      if (saved[name]) inputs[name].value = saved[name];
    });
  };

  Thread.prototype.post = function (parentId, form) {
    var self = this;
    var inputs = form.inputs;
    var payload = { text: inputs.text.value };
    var signedIn = !!currentReader();
    ["author_name", "author_email", "author_website"].forEach(function (name) {
      var value = inputs[name] ? inputs[name].value.trim() : "";
      if (value) payload[name] = value;
    });
    if (parentId) payload.parent_id = parentId;
    if (inputs.trap.value) payload.url = inputs.trap.value;
    var notify = !!(inputs.notify_replies && inputs.notify_replies.checked && payload.author_email);
    if (notify) {
      payload.notify_replies = true;
      payload.lang = this.speaker.locale;
    }
    // Registers the article with this page's title and address if this is its first comment.
    var about = this.describe();
    payload.article_title = about.title;
    payload.article_lang = about.lang;
    if (about.url) payload.article_url = about.url;
    form.clearError();
    this.status.textContent = "";
    return request("POST", "/articles/" + encodeURIComponent(this.key) + "/comments", payload, readerHeaders({})).then(function (answer) {
      var data = answer.data || {};
      if (!signedIn) store.set("engagement:identity", {
        author_name: payload.author_name || "", author_email: payload.author_email || "",
        author_website: payload.author_website || ""
      });
      inputs.text.value = "";
      if (answer.status === 202 || (data.comment && data.comment.status === "pending")) {
        if (data.comment && data.edit_token) self.rememberSecret(data, data.comment.text || payload.text);
        form.showError("", null);
        self.announce(self.t("form.pending") + (notify ? " " + self.t("form.notify_requested") : ""));
      } else if (data.comment) {
        if (data.edit_token) self.rememberSecret(data, data.comment.text || payload.text);
        self.insert(data.comment);
        self.changeCount(1);
        self.announce(self.t("form.posted") + (notify ? " " + self.t("form.notify_requested") : ""));
      }
      if (inputs.notify_replies) inputs.notify_replies.checked = false;
      if (parentId) form.cancel();
    }, function (failure) {
      // The reader's text stays in the form: nothing typed is lost on a refusal.
      form.showError(self.speaker.failure(failure), FIELDS.indexOf(failure.field) >= 0 ? failure.field : null);
      // The session ran out or was refused: the reader is a guest again until the page signs
      // them in anew. The refusal stays on screen.
      if (failure.code === "session_expired" || failure.code === "session_invalid") {
        store.remove(READER_KEY);
        readerListeners.forEach(function (listener) { listener(null); });
        self.form.showError(self.speaker.failure(failure), null);
      }
      // Closed meanwhile: say so above, and keep the form (and the text) where it is.
      if (failure.code === "thread_closed") self.closedNote.hidden = false;
    });
  };

  Thread.prototype.saveEdit = function (record, form) {
    var self = this;
    var proof = this.authorProof(record);
    if (!proof) {
      form.showError(this.t("error.edit_expired"), null);
      return Promise.resolve();
    }
    var secret = proof.secret;
    var text = form.inputs.text.value;
    form.clearError();
    return request("PATCH", "/comments/" + record.comment.id, { text: text }, proof.headers).then(function (answer) {
      var data = answer.data || {};
      var comment = data.comment || data;
      secret.text = comment.text || text;
      record.comment.text = secret.text;
      if (secret.token) store.set(storeKey("edit", record.comment.id), secret);
      self.closeEdit(record);
      if (comment.status === "pending") {
        record.body.textContent = "";
        record.body.appendChild(el("p", { class: "eg-removed", text: self.t("form.pending") }));
        self.announce(self.t("form.pending"));
        return;
      }
      record.comment.html = comment.html;
      record.body.innerHTML = comment.html || "";
      var meta = record.item.querySelector(".eg-meta");
      if (!meta.querySelector(".eg-edited")) meta.appendChild(el("span", { class: "eg-edited", text: self.t("comment.edited") }));
      self.announce(self.t("form.saved"));
    }, function (failure) {
      form.showError(self.speaker.failure(failure), failure.field === "text" ? "text" : null);
      self.forgetSecretIfRefused(record, failure);
    });
  };

  Thread.prototype.openReply = function (record) {
    var self = this;
    if (record.replyForm) { record.replyForm.focus(); return; }
    var form = this.commentForm({
      parentId: record.comment.id,
      parentName: record.comment.author_name,
      onCancel: function () {
        form.node.remove();
        record.replyForm = null;
        var button = record.actions.querySelector(".eg-reply-button");
        if (button) button.focus();
      }
    });
    record.replyForm = form;
    record.item.insertBefore(form.node, record.replies);
    form.focus();
  };

  Thread.prototype.insert = function (comment) {
    var node = this.commentNode(comment);
    var parent = comment.parent_id && this.nodes[comment.parent_id];
    if (parent) {
      parent.replies.appendChild(node);
    } else if (this.sort === "newest") {
      this.list.insertBefore(node, this.list.firstChild);
    } else {
      this.list.appendChild(node);
    }
    this.empty.hidden = true;
  };

  // ---------------------------------------------------------------- start

  // The container's data-theme, else the script tag's, else "auto" (the reader's preference).
  function themeOf(root) {
    var wanted = root.getAttribute("data-theme") || script.getAttribute("data-theme") || "auto";
    return THEMES.indexOf(wanted) >= 0 ? wanted : "auto";
  }

  function canonicalUrl() {
    var link = document.querySelector('link[rel="canonical"]');
    if (link && link.href) return link.href;
    return window.location.origin + window.location.pathname;
  }

  function textOf(node) {
    return node ? String(node.textContent || "").trim() : "";
  }

  function start() {
    addStylesheet();
    var token = null;
    var loggedOut = false;
    Array.prototype.forEach.call(document.querySelectorAll("[data-engagement-thread][data-sso-token]"), function (root) {
      var value = root.getAttribute("data-sso-token");
      if (value) token = token || value;
      else loggedOut = true;
    });
    // A page rendered for a logged-out reader says so with an empty attribute: the session
    // this browser kept from an earlier page ends.
    if (token) signIn(token).catch(function () { /* a refused token leaves a guest */ });
    else if (loggedOut) store.remove(READER_KEY);
    var threaded = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-engagement-thread]"), function (root) {
      var key = root.getAttribute("data-key");
      if (!key || root.getAttribute("data-engagement-ready") === "true") return;
      root.setAttribute("data-engagement-ready", "true");
      threaded.push(key);
      loadMessages(pickLocale(root)).then(function (speaker) { return new Thread(root, speaker).start(); });
    });
    fillCounters(threaded);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
