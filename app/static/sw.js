/* 督导通 service worker — served from the site root (/sw.js) so its scope covers every page.
 *
 * - Static files (css, js, htmx) are precached per VERSION (a hash of them, put in by the /sw.js
 *   route): changing any of them makes a new worker with a new static cache; the old one goes. Queued submissions live in IndexedDB (static/js/outbox.js), which this worker
 *   never touches, so an update cannot discard them.
 * - Pages: network first; a page that loaded is kept in the "ddt-pages" cache and shown when
 *   there is no signal. The home page asks the worker to fetch the inspector's assigned schools'
 *   checklists ahead of time (message {type: "precache", urls}). Logging out clears that cache.
 * - POST requests are never intercepted: the outbox owns them.
 */
var VERSION = "dev";  // replaced by /sw.js with a hash of the static files
var STATIC = "ddt-static-" + VERSION;
var PAGES = "ddt-pages";
var PRECACHE = [
  "/static/css/app.css",
  "/static/vendor/htmx-2.0.11.min.js",
  "/static/js/outbox.js",
  "/static/js/photo.js",
  "/static/js/scan.js",
  "/static/vendor/jsQR-1.4.0.min.js",
  "/static/js/page.js",
  "/offline",
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(PRECACHE); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("ddt-static-") === 0 && k !== STATIC; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function isPage(request) {
  return request.mode === "navigate" || (request.headers.get("accept") || "").indexOf("text/html") !== -1;
}

function keepPage(request, response) {
  // never keep a login redirect or an error as "the page"
  if (!response || !response.ok || response.redirected || response.type !== "basic") return response;
  var copy = response.clone();
  caches.open(PAGES).then(function (cache) { cache.put(request.url.split("#")[0], copy); });
  return response;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/sw.js" || url.pathname === "/csrf-token" || url.pathname === "/healthz") return;
  if (request.headers.get("HX-Request")) return;  // partial updates always go to the network

  if (url.pathname.indexOf("/static/") === 0) {
    // Pages ask for /static/…?v=<hash>; this cache is itself per hash of the static files,
    // so the query adds nothing here (/offline asks for the file without it).
    event.respondWith(caches.match(request, { ignoreSearch: true, cacheName: STATIC }).then(function (hit) {
      return hit || fetch(request).then(function (resp) {
        if (resp.ok) { var copy = resp.clone(); caches.open(STATIC).then(function (c) { c.put(request, copy); }); }
        return resp;
      });
    }));
    return;
  }
  if (/^\/photos\/\d+\/thumb\.jpg$/.test(url.pathname)) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (resp) { return keepPage(request, resp); });
    }));
    return;
  }
  if (isPage(request)) {
    event.respondWith(fetch(request).then(function (resp) { return keepPage(request, resp); }).catch(function () {
      return caches.match(request.url.split("#")[0], { cacheName: PAGES }).then(function (hit) {
        return hit || caches.match("/offline");
      });
    }));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "precache" || !Array.isArray(data.urls)) return;
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return Promise.all(data.urls.slice(0, 800).map(function (u) {
      var target = new URL(u, self.location.origin);
      if (target.origin !== self.location.origin) return null;
      return fetch(target.href, { credentials: "same-origin" }).then(function (resp) {
        if (resp.ok && !resp.redirected) return cache.put(target.href, resp);
        return null;
      }).catch(function () { return null; });
    }));
  }));
});
