// The service worker of the built site (./build.sh dist fills in VERSION and SHELL): it keeps the app shell (the
// page, its module, wasm, style, icons and sample pictures) so the page opens and runs offline after the first
// visit. The weights are kept by the page itself (Cache Storage "artsy-weights-v1"), so they are not stored twice.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = "artsy-shell-" + VERSION;

self.addEventListener("install", (event) => {
  // from the server, past the browser's HTTP cache: a page kept there from before an update would name the old
  // version's hashed files, which this version's cache does not hold
  const fresh = SHELL.map((url) => new Request(url, { cache: "reload" }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(fresh)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("artsy-shell-") && k !== CACHE)
        .map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // the page: the newest when online (it names the newest hashed files), the kept one offline
    event.respondWith(fetch(request).catch(() => caches.match("./", { cacheName: CACHE })
      .then((hit) => hit || Response.error())));
    return;
  }
  // everything else in the shell has a content-hashed or fixed name: the kept copy first
  event.respondWith(caches.match(request, { cacheName: CACHE }).then((hit) => hit || fetch(request)));
});
