/* 督导通 outbox — nothing lost when the signal drops, nothing saved twice.
 *
 * Design (DESIGN.md "Offline and double-submit safety"):
 * - Every capture form has data-outbox and a hidden client_uuid. The server stores each UUID
 *   once (ClientOp): a replay returns the stored result and changes nothing, so any
 *   submission may be retried as often as needed.
 * - A submission that cannot reach the server (offline, network error, 502/503/504) is kept
 *   in IndexedDB — fields and photo blobs — and shown as 待同步 N in the header. The queue is
 *   drained in order on page load, on `online`, on returning to the tab, every 30 s while
 *   something waits, and from the 同步 button. An item leaves the queue only when the server
 *   confirms it (2xx). A refusal (422 etc.) is kept, marked, and shown; never dropped silently.
 * - CSRF: tokens are tied to the session, not to a time (WTF_CSRF_TIME_LIMIT=None), and the
 *   outbox fetches a fresh token from /csrf-token before each drain, so a form that waited a
 *   whole offline day still goes through. If the session itself is gone (login expired), the
 *   queue stops and asks the user to log in; nothing is discarded.
 * - The queue lives in IndexedDB, which the service worker never touches: a new service
 *   worker version (new caches) cannot discard queued items.
 * - Pages may come from the service worker's cache, with the UUIDs they were rendered with.
 *   So every client_uuid is replaced by a fresh one on page load and again after each
 *   submission: two edits never share a UUID (a shared one would be taken as a replay).
 * - A tap is a save (forms with data-autosave): choosing a verdict hands the form to the queue at
 *   once; typing is kept synchronously in localStorage on every keystroke (it survives a page
 *   being left mid-word) and handed to the queue after a pause or on change. Queued saves of
 *   one form that have not left yet are merged into one; when one is stored, the others are
 *   rebased on the version it made (so a person's own saves never conflict with each other).
 *   Each form shows its state: 保存中, 已保存 · 第 N 版, 待同步, 未保存（why）.
 */
(function () {
  "use strict";
  var DB_NAME = "ddt-outbox";
  var STORE = "items";
  var RETRY_MS = 30000;
  var dbPromise = null;
  var draining = false;
  var retryTimer = null;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  function store(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function allItems() { return store("readonly", function (s) { return s.getAll(); }); }
  function addItem(item) { return store("readwrite", function (s) { return s.add(item); }); }
  function putItem(item) { return store("readwrite", function (s) { return s.put(item); }); }
  function removeItem(seq) { return store("readwrite", function (s) { return s.delete(seq); }); }

  // ------------------------------------------------------------------ what the user sees

  function badge() { return document.getElementById("sync-badge"); }

  function refreshBadge() {
    return allItems().then(function (items) {
      var b = badge();
      var pending = items.filter(function (i) { return i.status !== "failed"; }).length;
      var failed = items.length - pending;
      window.DDT.pending = pending;
      window.DDT.failed = failed;
      if (b) {
        b.hidden = items.length === 0;
        b.classList.toggle("failed", failed > 0);
        b.textContent = pending ? "待同步 " + pending : (failed ? failed + " 条未能提交" : "");
        b.title = pending ? "已保存在本机，联网后自动提交；点此立即同步" : "点此查看未能提交的记录";
      }
      markQueuedForms(items);
      return items;
    }).catch(function () { return []; });
  }

  function markQueuedForms(items) {
    document.querySelectorAll(".queued-note").forEach(function (n) { n.remove(); });
    var byForm = {};
    var forms = {};
    items.forEach(function (item) {
      var form = formOf(item);
      if (!form) return;
      var key = item.formKey || item.formId;
      (byForm[key] = byForm[key] || []).push(item);
      forms[key] = form;
    });
    Object.keys(byForm).forEach(function (id) {
      var form = forms[id];
      var list = byForm[id];
      var failed = list.filter(function (i) { return i.status === "failed"; });
      var waiting = list.length - failed.length;
      var text = waiting
        ? "待同步：已保存在本机" + (waiting > 1 ? "（" + waiting + " 次修改）" : "") + "，联网后自动提交"
        : "未保存：" + (failed[failed.length - 1].error || "服务器未接受，请检查后重新选择");
      if (waiting && inflight.size && navigator.onLine) text = "保存中…";
      if (form.querySelector("[data-save-state]")) { setState(form, text, waiting ? "queued" : "failed"); return; }
      var note = document.createElement("div");
      note.className = "queued-note";
      note.setAttribute("role", "status");
      note.textContent = text;
      form.appendChild(note);
    });
  }

  function flash(text, kind) {
    var main = document.querySelector("main.page") || document.body;
    var div = document.createElement("div");
    div.className = "flash" + (kind ? " flash-" + kind : "");
    div.setAttribute("role", "status");
    div.textContent = text;
    main.insertBefore(div, main.firstChild);
    setTimeout(function () { div.remove(); }, 6000);
  }

  function showFailed() {
    allItems().then(function (items) {
      var failed = items.filter(function (i) { return i.status === "failed"; });
      if (!failed.length) { drain(); return; }
      var lines = failed.map(function (i, n) { return (n + 1) + ". " + (i.label || i.url) + "：" + (i.error || ""); });
      if (window.confirm("以下记录服务器未接受：\n" + lines.join("\n") +
                         "\n\n点「确定」放弃这些记录（请先按提示在页面上重新填写），点「取消」保留。")) {
        Promise.all(failed.map(function (i) { return removeItem(i.seq); })).then(refreshBadge);
      }
    });
  }

  // ------------------------------------------------------------------ queueing

  function fieldsOf(form) {
    var fields = [];
    var files = [];
    new FormData(form).forEach(function (value, name) {
      if (value instanceof Blob) { if (value.size) files.push([name, value, value.name || "file"]); }
      else fields.push([name, value]);
    });
    return { fields: fields, files: files };
  }

  function renewUuid(form) {
    var input = form.querySelector("input[name=client_uuid]");
    if (input) input.value = uuid();
  }

  function enqueueForm(form, mode) {
    var data = fieldsOf(form);
    var item = {
      url: form.getAttribute("hx-post") || form.getAttribute("action") || location.pathname,
      mode: mode, fields: data.fields, files: data.files, formId: form.id || null,
      label: form.getAttribute("data-label") || (form.querySelector(".code") || {}).textContent || document.title,
      page: location.pathname, created: new Date().toISOString(), attempts: 0, status: "pending",
    };
    renewUuid(form);  // the next edit of this form is a new submission
    return addItem(item).then(refreshBadge).then(scheduleRetry);
  }

  function enqueue(item) {
    item.page = item.page || location.pathname;
    item.created = new Date().toISOString();
    item.attempts = 0;
    item.status = "pending";
    return addItem(item).then(function (seq) { item.seq = seq; refreshBadge(); return seq; });
  }

  // ------------------------------------------------------------------ sending

  function freshToken() {
    return fetch("/csrf-token", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.redirected || r.status === 401) return { login: true };
      if (!r.ok) throw new Error("token " + r.status);
      return r.json().then(function (j) { return { token: j.token }; });
    });
  }

  function send(item, token, onProgress) {
    return new Promise(function (resolve) {
      var body = new FormData();
      item.fields.forEach(function (f) { if (f[0] !== "csrf_token") body.append(f[0], f[1]); });
      body.append("csrf_token", token);
      (item.files || []).forEach(function (f) { body.append(f[0], f[1], f[2]); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", item.url);
      xhr.setRequestHeader("X-CSRFToken", token);
      if (item.mode === "htmx") xhr.setRequestHeader("HX-Request", "true");
      if (item.mode === "photo" || item.mode === "json") xhr.setRequestHeader("Accept", "application/json");
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      }
      xhr.timeout = 120000;
      xhr.onload = function () {
        var s = xhr.status;
        if ((xhr.responseURL || "").indexOf("/login") !== -1) resolve({ login: true });
        else if (s >= 200 && s < 300) resolve({ ok: true, status: s, text: xhr.responseText, url: xhr.responseURL });
        else if (s === 0 || s === 408 || s === 429 || s >= 500) resolve({ retry: true });
        else if (s === 400 && /CSRF/i.test(xhr.responseText)) resolve({ login: true });
        else resolve({ failed: true, status: s, text: xhr.responseText });
      };
      xhr.onerror = xhr.ontimeout = function () { resolve({ retry: true }); };
      xhr.send(body);
    });
  }

  function errorText(res) {
    try { return JSON.parse(res.text).error; } catch (e) { /* HTML */ }
    var doc = new DOMParser().parseFromString(res.text || "", "text/html");  // inert: nothing in it runs
    var alert = doc.querySelector("[role=alert], .flash-error, main p");
    return (alert ? alert.textContent : "服务器拒绝（" + res.status + "）").trim().slice(0, 200);
  }

  function fieldValue(item, name) {
    var f = item.fields.filter(function (x) { return x[0] === name; })[0];
    return f ? f[1] : null;
  }

  function setField(item, name, value) {
    var f = item.fields.filter(function (x) { return x[0] === name; })[0];
    if (f) f[1] = value; else item.fields.push([name, value]);
  }

  // A save of one form was stored: the form now stands on that version; queued saves of the
  // same form were made on the same view, so they are rebased on it (and sent to the stored
  // row's address when the first save created it). Older refused saves of it are superseded.
  function afterStored(item, res) {
    var j;
    try { j = JSON.parse(res.text); } catch (e) { return Promise.resolve(); }
    var newer = false;
    return allItems().then(function (items) {
      var work = [];
      items.forEach(function (other) {
        if (other.formKey === item.formKey && other.seq > item.seq && other.status !== "failed") newer = true;
        if (other.seq === item.seq || other.formKey !== item.formKey || !item.formKey) return;
        if (other.status === "failed" && other.seq < item.seq) { work.push(removeItem(other.seq)); return; }
        if (other.seq > item.seq && other.status !== "failed") {
          setField(other, "base_version", String(j.version));
          // data_report: the values this save stored from the page travel with the version they made
          if (j.base_values !== undefined) setField(other, "base_values", JSON.stringify(j.base_values));
          if (j.edit_url) other.url = j.edit_url;
          work.push(putItem(other));
        }
      });
      return Promise.all(work);
    }).then(function () {
      var form = formOf(item);
      if (!form) return;
      var base = form.querySelector("input[name=base_version]");
      if (base) base.value = String(j.version);
      var baseValues = form.querySelector("input[name=base_values]");  // data_report: see above
      if (baseValues && j.base_values !== undefined) baseValues.value = JSON.stringify(j.base_values);
      if (j.edit_url) form.setAttribute("action", j.edit_url);
      form.classList.remove("photo-only");
      if (j.problem !== undefined) form.classList.toggle("problem", !!j.problem);
      if (j.summary !== undefined) {
        var sum = form.querySelector("[data-measure-summary]");
        if (sum) sum.textContent = j.summary;
      }
      // 已保存 only when nothing newer of this form waits or is being handed to the queue
      if (newer || handing.has(form)) setState(form, "保存中…", "saving");
      else if (!dirty.has(form) && !timers.has(form)) setState(form, j.label + " · " + (j.at || ""), j.status === "conflict" ? "conflict" : "saved");
    });
  }

  function applyResult(item, res) {
    if (item.mode === "json") return afterStored(item, res).then(function () {
      document.dispatchEvent(new CustomEvent("ddt:synced", { detail: { item: item, response: res } }));
    });
    if (item.mode === "htmx" && item.formId && item.page === location.pathname) {
      var form = document.getElementById(item.formId);
      if (form && window.htmx) {
        var tpl = document.createElement("template");
        tpl.innerHTML = res.text.trim();
        var fresh = tpl.content.getElementById(item.formId);
        if (fresh) { form.replaceWith(fresh); htmx.process(fresh); renewUuid(fresh); }
      }
    }
    document.dispatchEvent(new CustomEvent("ddt:synced", { detail: { item: item, response: res } }));
  }

  var drainAgain = false;
  var inflight = new Set();

  // formKey → the address, version (and data_report base values) its last stored save left, noted
  // the moment the answer comes, before that save leaves the queue. A save of the same form handed
  // to the queue after that moment, but before the page has taken the answer in (afterStored),
  // finds no running save to follow: it takes these, so the second save of a new row edits the
  // row the first one created instead of creating another.
  var landed = {};
  function noteLanded(item, res) {
    if (!item.formKey || item.mode !== "json") return;
    var j;
    try { j = JSON.parse(res.text); } catch (e) { return; }
    if (!j || j.version === undefined) return;
    landed[item.formKey] = { url: j.edit_url || item.url, version: j.version, baseValues: j.base_values };
  }

  function drain() {
    if (!navigator.onLine) return Promise.resolve();
    if (draining) { drainAgain = true; return Promise.resolve(); }
    draining = true;
    drainAgain = false;
    var stop = false;
    return allItems().then(function (items) {
      var todo = items.filter(function (i) { return i.status !== "failed"; }).sort(function (a, b) { return a.seq - b.seq; });
      if (!todo.length) return;
      return freshToken().then(function (t) {
        if (t.login) { flash("登录已过期：请重新登录，待同步的记录仍保存在本机，登录后自动提交。", "error"); return; }
        var chain = Promise.resolve();
        todo.forEach(function (item) {
          chain = chain.then(function () {
            if (stop) return;
            // read it again: a later edit may have been merged into it, or it may have been rebased
            inflight.add(item.seq);
            return claimForSending(item.seq).then(function (fresh) {
              if (!fresh) return;
              item = fresh;
              return send(item, t.token, progressFor(item));
            }).then(function (res) {
              inflight.delete(item.seq);
              if (!res) return;
              if (res.ok) {
                noteLanded(item, res);  // before it leaves the queue: see queueSave
                return removeItem(item.seq).then(function () { return applyResult(item, res); });
              }
              if (res.login) {
                stop = true;
                flash("登录已过期：请重新登录后同步。", "error");
                item.sending = false;
                return putItem(item);
              }
              if (res.retry) { stop = true; item.attempts += 1; item.sending = false; return putItem(item); }  // keep order: wait
              item.sending = false;
              item.status = "failed";
              item.error = errorText(res);
              document.dispatchEvent(new CustomEvent("ddt:failed", { detail: { item: item } }));
              return putItem(item);
            });
          });
        });
        return chain;
      });
    }).catch(function () { /* offline again: try later */ }).then(function () {
      draining = false;
      inflight.clear();
      return refreshBadge().then(scheduleRetry).then(function () { if (drainAgain) return drain(); });
    });
  }

  function scheduleRetry(items) {
    clearTimeout(retryTimer);
    var go = function () { drain(); };
    if (window.DDT.pending) retryTimer = setTimeout(go, RETRY_MS);
    return items;
  }

  var progressHandlers = {};
  function progressFor(item) { return progressHandlers[item.seq] || null; }

  // ------------------------------------------------------------------ forms

  function isOutboxForm(el) { return el && el.matches && el.matches("form[data-outbox]"); }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt;
    if (isOutboxForm(form) && !navigator.onLine) {
      evt.preventDefault();
      enqueueForm(form, "htmx");
    }
  });
  function networkFailure(evt) {
    var form = evt.detail.elt;
    if (isOutboxForm(form)) enqueueForm(form, "htmx");
  }
  document.addEventListener("htmx:sendError", networkFailure);
  document.addEventListener("htmx:timeout", networkFailure);
  document.addEventListener("htmx:responseError", function (evt) {
    var s = evt.detail.xhr && evt.detail.xhr.status;
    if (s >= 500 || s === 0) networkFailure(evt);
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    // a fresh form from the server: its UUID is new already; keep the queued marks visible
    refreshBadge();
  });

  // Plain (non-HTMX) capture forms: submit through fetch so a failure can be queued.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!isOutboxForm(form) || form.hasAttribute("hx-post") || evt.defaultPrevented) return;
    evt.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var done = function () { if (button) button.disabled = false; };
    if (!navigator.onLine) {
      enqueueForm(form, "form").then(function () { flash("已保存在本机，联网后自动提交。", "success"); done(); });
      return;
    }
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" }).then(function (r) {
      if (r.status >= 500) throw new Error("server " + r.status);
      return r.text().then(function (text) {
        if (r.redirected && r.status < 400) {
          // the redirect target (already fetched) carried the server's messages: show them after navigating
          var tpl = document.createElement("template");
          tpl.innerHTML = text;
          var notes = Array.prototype.map.call(tpl.content.querySelectorAll(".flash"), function (f) {
            return [f.textContent.trim(), (f.className.match(/flash-(\w+)/) || [])[1] || ""];
          });
          try { sessionStorage.setItem("ddt-flash", JSON.stringify(notes)); } catch (e) { /* private mode */ }
          location.href = r.url;
          return;
        }
        document.open(); document.write(text); document.close();
      });
    }).catch(function () {
      enqueueForm(form, "form").then(function () { flash("网络不通：已保存在本机，联网后自动提交。", "success"); done(); });
    });
  }, false);


  // ------------------------------------------------------------------ a tap is a save

  var DEBOUNCE_MS = 700;
  var DRAFTS = "ddt-draft:";
  var dirty = new Set();    // forms with an edit that cannot be saved yet (e.g. no verdict chosen)
  var timers = new Map();   // forms with typing not yet handed to the queue
  var lastKept = new Map(); // form -> what was last handed to the queue (or shown by the server)
  var handing = new Set();  // forms whose save is being written to the queue right now

  function contentOf(item) {
    return JSON.stringify(item.fields.filter(function (f) {
      return f[0] !== "client_uuid" && f[0] !== "base_version" && f[0] !== "base_values" && f[0] !== "csrf_token";
    }));
  }

  function setState(form, text, kind) {
    var el = form.querySelector("[data-save-state]");
    if (!el) return;
    el.textContent = text;
    el.setAttribute("data-kind", kind || "");
  }

  // A form for a new row (data-new-row: a new interview; data-autosave-new: a new hearing entry) is
  // saved like any other: its first save creates the row, later ones edit it. Each such form on
  // screen is its own row: its key carries an instance made here, so the blank form that follows it
  // (or the same page opened again for the next one) never merges into, or edits, the row the
  // previous one created, even while that one still waits in the queue.
  function formKey(form) {
    var fresh = form.hasAttribute("data-new-row") || form.hasAttribute("data-autosave-new");
    if (fresh && !form.getAttribute("data-instance")) form.setAttribute("data-instance", uuid());
    var instance = form.getAttribute("data-instance");
    return location.pathname + "#" + form.id + (instance ? "~" + instance : "");
  }

  // The form on this page a queued item was made from, or null (another page, a form since
  // replaced by a blank one for the next row).
  function formOf(item) {
    if (!item.formId || item.page !== location.pathname) return null;
    var form = document.getElementById(item.formId);
    if (!form || (item.formKey && form.matches("form[data-autosave]") && formKey(form) !== item.formKey)) return null;
    return form;
  }

  function missing(form) {
    // why this form cannot be stored yet, or null
    var need = form.getAttribute("data-needs") || "verdict";
    var radios = form.querySelectorAll("input[type=radio][name='" + need + "']");
    if (radios.length && !form.querySelector("input[type=radio][name='" + need + "']:checked")) {
      return form.getAttribute("data-needs-label") || "请先选择结论";
    }
    var bad = form.querySelector(":invalid");
    if (bad) return (bad.closest("label") ? bad.closest("label").firstChild.textContent.trim() + "：" : "") + (bad.validationMessage || "请填写");
    return null;
  }

  function itemFor(form) {
    var data = fieldsOf(form);
    return {
      url: form.getAttribute("action") || location.pathname, mode: "json", fields: data.fields, files: [],
      formId: form.id, formKey: formKey(form), label: form.getAttribute("data-label") || document.title,
      page: location.pathname,
    };
  }

  // Typing is kept at once, synchronously: a page left mid-word loses nothing.
  function keepDraft(form) {
    if (!form.id || missing(form)) return;
    try { localStorage.setItem(DRAFTS + formKey(form), JSON.stringify(itemFor(form))); } catch (e) { /* full or private */ }
  }

  // Hand an item to the queue: merged into a queued save of the same form that has not left
  // yet (keeping that one's UUID and base), or added with a fresh UUID.
  function queueSave(next) {
    // One readwrite transaction decides and writes: IndexedDB runs readwrite transactions on a
    // store one at a time, so a save the outbox has claimed for sending (claimForSending) is
    // never merged into — its content could already be on the wire.
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, "readwrite");
        var s = t.objectStore(STORE);
        var req = s.getAll();
        req.onsuccess = function () {
          var same = req.result.filter(function (i) { return i.formKey === next.formKey && i.status !== "failed"; });
          var waiting = same.filter(function (i) { return !i.sending; }).sort(function (a, b) { return b.seq - a.seq; })[0];
          if (waiting) {
            var uuidValue = fieldValue(waiting, "client_uuid");
            var base = fieldValue(waiting, "base_version");
            var baseValues = fieldValue(waiting, "base_values");  // data_report: belongs to that base
            waiting.fields = next.fields;
            setField(waiting, "client_uuid", uuidValue);
            if (base !== null) setField(waiting, "base_version", base);
            if (baseValues !== null) setField(waiting, "base_values", baseValues);
            waiting.url = waiting.url || next.url;
            s.put(waiting);
            return;
          }
          var running = same.filter(function (i) { return i.sending; })[0];
          var stored = landed[next.formKey];
          if (running) {  // made on the view the running save started from: rebased when it lands
            setField(next, "base_version", fieldValue(running, "base_version"));
            if (fieldValue(running, "base_values") !== null) setField(next, "base_values", fieldValue(running, "base_values"));
          } else if (stored) {  // the last save of this form has landed: follow it (see noteLanded)
            next.url = stored.url;
            setField(next, "base_version", String(stored.version));
            if (stored.baseValues !== undefined) setField(next, "base_values", JSON.stringify(stored.baseValues));
          }
          setField(next, "client_uuid", uuid());
          next.created = new Date().toISOString();
          next.attempts = 0;
          next.status = "pending";
          s.add(next);
        };
        t.oncomplete = function () { resolve(); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  // Mark a queued item as being sent and read it, in one readwrite transaction (see queueSave).
  function claimForSending(seq) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, "readwrite");
        var s = t.objectStore(STORE);
        var found = null;
        var req = s.get(seq);
        req.onsuccess = function () {
          found = req.result || null;
          if (found) { found.sending = true; s.put(found); }
        };
        t.oncomplete = function () { resolve(found); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  function autosave(form) {
    clearTimeout(timers.get(form));
    timers.delete(form);
    var why = missing(form);
    if (why) {
      dirty.add(form);
      setState(form, "未保存：" + why, "unsaved");
      return Promise.resolve();
    }
    dirty.delete(form);
    var item = itemFor(form);
    var content = contentOf(item);
    if (lastKept.get(form) === content) {  // nothing new (a second tap on 保存, a blur without change)
      try { localStorage.removeItem(DRAFTS + item.formKey); } catch (e) { /* ignore */ }
      return Promise.resolve();
    }
    lastKept.set(form, content);
    keepDraft(form);  // kept at once: a page left right after a tap loses nothing while the queue writes
    setState(form, navigator.onLine ? "保存中…" : "待同步：已保存在本机，联网后自动提交", navigator.onLine ? "saving" : "queued");
    handing.add(form);
    return queueSave(item).then(function () {
      handing.delete(form);
      try { localStorage.removeItem(DRAFTS + item.formKey); } catch (e) { /* ignore */ }
      return refreshBadge();
    }, function (err) { handing.delete(form); throw err; }).then(function () { return drain(); });
  }

  function onEdit(evt) {
    var form = evt.target.form || (evt.target.closest && evt.target.closest("form"));
    if (!form || !form.hasAttribute("data-autosave")) return;
    var t = evt.target;
    if (t.type === "file") return;  // a photo is its own submission
    var immediate = evt.type === "change" && (t.type === "radio" || t.type === "checkbox" || t.tagName === "SELECT");
    if (immediate || evt.type === "change") { autosave(form); return; }
    keepDraft(form);
    if (missing(form)) { dirty.add(form); setState(form, "未保存：" + missing(form), "unsaved"); return; }
    dirty.delete(form);
    setState(form, "输入中…", "typing");
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(function () { autosave(form); }, DEBOUNCE_MS));
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.hasAttribute || !form.hasAttribute("data-autosave")) return;
    evt.preventDefault();
    evt.stopImmediatePropagation();
    if (form.hasAttribute("data-autosave-new")) addAndNext(form);
    else autosave(form);
  }, true);

  // 添加 on a form for a new row: the row is saved (a tap saved it already; this hands over what
  // was typed since), then the page shows it in its list (data-autosave-new names the list) and a
  // blank form takes this one's place for the next row. Offline the row waits in the queue (待同步)
  // and the blank form comes at once. A refused save keeps the form, with the reason shown.
  var blanks = new Map();  // form id -> the blank form as the page first showed it

  function addAndNext(form) {
    if (missing(form)) return autosave(form);  // says what is missing; nothing to add yet
    var key = formKey(form);
    var list = form.getAttribute("data-autosave-new");
    return autosave(form).then(function () { return settled(key); }).then(function (state) {
      if (state === "failed") return;
      return (state === "stored" && list ? showNewRows(list) : Promise.resolve()).then(function () {
        var blank = blanks.get(form.id);
        if (!blank || !document.contains(form)) return;
        var fresh = blank.cloneNode(true);
        renewUuid(fresh);
        clearTimeout(timers.get(form));
        timers.delete(form);
        dirty.delete(form);
        form.replaceWith(fresh);
        fresh.querySelectorAll("[data-photo-widget]").forEach(photoWidget);
        if (state === "queued") flash("已保存在本机，联网后自动提交。", "success");
        return refreshBadge();
      });
    });
  }

  // "stored" once nothing of this form waits in the queue, "failed" if the server refused it,
  // "queued" while offline (or still waiting after a while: it stays safe in the queue).
  function settled(key) {
    var waited = 0;
    return new Promise(function (resolve) {
      (function check() {
        allItems().then(function (items) {
          var mine = items.filter(function (i) { return i.formKey === key; });
          if (mine.some(function (i) { return i.status === "failed"; })) return resolve("failed");
          if (!mine.length) return resolve("stored");
          if (!navigator.onLine || waited >= 15000) return resolve("queued");
          waited += 150;
          setTimeout(check, 150);
        }, function () { resolve("queued"); });
      })();
    });
  }

  // Rows the server has and this page does not show yet are added to the list (rows on screen are
  // left as they are: someone may be typing in one).
  function showNewRows(selector) {
    var here = document.querySelector(selector);
    if (!here) return Promise.resolve();
    return fetch(location.pathname + location.search, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.ok ? r.text() : "";
    }).then(function (text) {
      var there = new DOMParser().parseFromString(text || "", "text/html").querySelector(selector);  // inert until adopted
      if (!there) return;
      Array.prototype.forEach.call(there.children, function (row) {
        if (!row.id || document.getElementById(row.id)) return;
        var el = document.importNode(row, true);
        here.appendChild(el);
        if (window.htmx) htmx.process(el);
        el.querySelectorAll("input[name=client_uuid]").forEach(function (i) { i.value = uuid(); });
        el.querySelectorAll("[data-photo-widget]").forEach(photoWidget);
        var forms = el.matches("form[data-autosave]") ? [el] : Array.prototype.slice.call(el.querySelectorAll("form[data-autosave]"));
        forms.forEach(function (f) { if (!missing(f)) lastKept.set(f, contentOf(itemFor(f))); });
      });
    }).catch(function () { /* the row is stored; the list shows it on the next load */ });
  }

  // Drafts left by a page that was closed or left mid-edit go to the queue on the next page.
  function adoptDrafts() {
    var keys = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k && k.indexOf(DRAFTS) === 0) keys.push(k);
      }
    } catch (e) { return Promise.resolve(); }
    var chain = Promise.resolve();
    keys.forEach(function (k) {
      chain = chain.then(function () {
        var item = JSON.parse(localStorage.getItem(k) || "null");
        if (!item) return;
        return queueSave(item).then(function () { localStorage.removeItem(k); });
      }).catch(function () { /* keep the draft for the next page */ });
    });
    return chain;
  }

  document.addEventListener("ddt:failed", function (evt) {
    var item = evt.detail.item;
    var form = formOf(item);
    if (form) lastKept.delete(form);  // the same content may be sent again after a refusal
  });

  function flushTyping() {
    timers.forEach(function (_t, form) { autosave(form); });
  }
  window.addEventListener("pagehide", flushTyping);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flushTyping(); });

  // ------------------------------------------------------------------ photos

  function captureMeta() {
    return window.DDT.captureMeta ? window.DDT.captureMeta() : Promise.resolve({ taken_at: new Date().toISOString() });
  }

  function photoWidget(widget) {
    var input = widget.querySelector("input[type=file]");
    if (!input || input.dataset.bound) return;
    input.dataset.bound = "1";
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      if (!files.length) return;
      var fields = JSON.parse(widget.getAttribute("data-fields") || "{}");
      var url = widget.getAttribute("data-url");
      var thumbs = widget.querySelector(".thumbs");
      captureMeta().then(function (meta) {
        // one by one: compress, queue (IndexedDB), then send — each photo retried on its own
        var chain = Promise.resolve();
        files.forEach(function (file) {
          chain = chain.then(function () {
            var tile = document.createElement("span");
            tile.className = "pending";
            tile.innerHTML = "<span>压缩中</span><progress max='1' value='0'></progress>";
            thumbs.appendChild(tile);
            var compress = window.DDT.compressImage ? window.DDT.compressImage(file, { longEdge: 1600, quality: 0.8 }) : Promise.resolve(file);
            // a format this browser cannot draw (e.g. HEIC outside Safari) goes as it is: the server converts it
            compress = compress.catch(function () { return file; });
            return compress.then(function (blob) {
              var f = [["client_uuid", uuid()], ["taken_at", meta.taken_at || new Date().toISOString()]];
              if (meta.lat != null) { f.push(["lat", String(meta.lat)], ["lng", String(meta.lng)], ["accuracy", String(meta.accuracy || "")]); }
              Object.keys(fields).forEach(function (k) { f.push([k, String(fields[k])]); });
              tile.firstChild.textContent = "待上传";
              return enqueue({ url: url, mode: "photo", fields: f, files: [["photo", blob, "photo.jpg"]],
                               label: "照片 " + (fields.item_code || "") }).then(function (seq) {
                tile.dataset.seq = seq;
                progressHandlers[seq] = function (p) { tile.querySelector("progress").value = p; tile.firstChild.textContent = Math.round(p * 100) + "%"; };
              });
            }).catch(function () {
              tile.classList.add("failed");
              tile.firstChild.textContent = "无法读取";
            });
          });
        });
        return chain.then(drain);
      });
    });
  }

  document.addEventListener("ddt:synced", function (evt) {
    var item = evt.detail.item;
    if (item.mode !== "photo") return;
    var code = fieldValue(item, "item_code");
    var owner = code && item.page === location.pathname ? document.getElementById("item-" + code) : null;
    if (owner && owner.hasAttribute("data-autosave") && missing(owner) && !dirty.has(owner)) {
      owner.classList.add("photo-only");  // a photo is not a finding until a verdict is chosen
      setState(owner, "有照片，未选结论：请选择结论", "unsaved");
    }
    var tile = document.querySelector(".pending[data-seq='" + item.seq + "']");
    delete progressHandlers[item.seq];
    if (!tile) return;
    try {
      var j = JSON.parse(evt.detail.response.text);
      var a = document.createElement("a");
      a.href = j.full;
      a.target = "_blank";
      a.innerHTML = "<img alt='照片' width='64' height='64'>";
      a.firstChild.src = j.thumb;
      tile.replaceWith(a);
    } catch (e) { tile.remove(); }
  });
  document.addEventListener("ddt:failed", function (evt) {
    var tile = document.querySelector(".pending[data-seq='" + evt.detail.item.seq + "']");
    if (tile) { tile.classList.add("failed"); tile.firstChild.textContent = "被拒绝"; tile.title = evt.detail.item.error; }
  });

  // ------------------------------------------------------------------ leaving with unsent items

  // Queued items are safe on the phone: leaving (or tapping a link offline) asks nothing. What
  // is not kept anywhere yet is an edit that cannot be saved (no verdict chosen): that warns.
  // Other capture forms (without data-autosave): typed into and not yet handed over is an edit
  // that would be lost.
  var typedPlain = new Set();
  document.addEventListener("input", function (evt) {
    var form = evt.target.form;
    if (form && isOutboxForm(form) && !form.hasAttribute("data-autosave") && evt.target.type !== "file") typedPlain.add(form);
  });
  document.addEventListener("submit", function (evt) { typedPlain.delete(evt.target); }, true);
  document.addEventListener("htmx:beforeRequest", function (evt) { typedPlain.delete(evt.detail.elt); });

  window.addEventListener("beforeunload", function (evt) {
    timers.forEach(function (_t, form) { keepDraft(form); });
    typedPlain.forEach(function (f) { if (!document.contains(f)) typedPlain.delete(f); });
    if (typedPlain.size) {
      evt.preventDefault();
      evt.returnValue = "有填写了但还没有添加的内容。";
      return evt.returnValue;
    }
    var unsaved = Array.prototype.filter.call(document.querySelectorAll("form[data-autosave]"), function (f) { return dirty.has(f); });
    if (unsaved.length) {
      evt.preventDefault();
      evt.returnValue = "有 " + unsaved.length + " 项修改还没有保存（" + (missing(unsaved[0]) || "") + "）。";
      return evt.returnValue;
    }
  });

  // ------------------------------------------------------------------ start

  function start() {
    try {
      var stashed = JSON.parse(sessionStorage.getItem("ddt-flash") || "[]");
      sessionStorage.removeItem("ddt-flash");
      stashed.reverse().forEach(function (n) { flash(n[0], n[1]); });
    } catch (e) { /* nothing stashed */ }
    document.querySelectorAll("input[name=client_uuid]").forEach(function (i) { i.value = uuid(); });
    document.querySelectorAll("[data-photo-widget]").forEach(photoWidget);
    document.querySelectorAll("form[data-autosave-new]").forEach(function (f) {
      var blank = f.cloneNode(true);
      blank.removeAttribute("data-instance");
      blanks.set(f.id, blank);
    });
    document.querySelectorAll("form[data-autosave]").forEach(function (f) {
      if (!missing(f)) lastKept.set(f, contentOf(itemFor(f)));  // as the server showed it
    });
    var b = badge();
    if (b) b.addEventListener("click", function () { if (window.DDT.failed && !window.DDT.pending) showFailed(); else drain(); });
    var banner = document.getElementById("offline-banner");
    var net = function () { if (banner) banner.hidden = navigator.onLine; };
    window.addEventListener("online", function () { net(); drain(); });
    window.addEventListener("offline", net);
    net();
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") drain(); });
    document.addEventListener("htmx:load", function (evt) {
      evt.detail.elt.querySelectorAll && evt.detail.elt.querySelectorAll("[data-photo-widget]").forEach(photoWidget);
    });
    var logout = document.querySelector("form.logout");
    if (logout) logout.addEventListener("submit", function (evt) {
      if (window.DDT.pending && !window.confirm("还有 " + window.DDT.pending + " 条记录未同步，退出后需同一账号重新登录才能提交。确定退出？")) {
        evt.preventDefault();
        return;
      }
      if (window.caches) caches.delete("ddt-pages");  // the next user must not see this user's pages offline
    });
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (reg) {
        // this page (it may have loaded before the worker took control) and the assigned checklists
        var urls = [location.pathname + location.search];
        document.querySelectorAll("[data-precache]").forEach(function (a) {
          urls.push(a.getAttribute("href"));
          (a.getAttribute("data-precache-more") || "").split(" ").forEach(function (u) { if (u) urls.push(u); });
        });
        if (reg.active) reg.active.postMessage({ type: "precache", urls: urls });
      }).catch(function () { /* no service worker (e.g. plain HTTP on a LAN): the outbox still works */ });
    }
    var insecure = document.getElementById("insecure-banner");
    if (insecure) insecure.hidden = !!window.isSecureContext;
    adoptDrafts().then(refreshBadge).then(function () { drain(); });
  }

  window.DDT = window.DDT || {};
  window.DDT.pending = 0;
  window.DDT.failed = 0;
  window.DDT.drain = drain;
  window.DDT.outboxItems = allItems;
  window.DDT.uuid = uuid;
  window.DDT.autosave = autosave;
  window.DDT.unsaved = function () { return dirty.size; };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
