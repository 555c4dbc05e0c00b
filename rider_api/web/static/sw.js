// Service worker of the rider app: the app shell works offline (installable PWA).
// Pages are fetched network-first (fresh words and code when online), static files
// stale-while-revalidate; the API (/v1/) is never cached: offers and bookings are live.

const CACHE = "rufbus-shell-v5";
const SHELL = [
  "/", "/static/style.css", "/static/common.js", "/static/map.js", "/static/labels.js", "/static/rider.js",
  "/static/icon.svg", "/manifest.webmanifest", "/open", "/static/open.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || /^(\/areas\/[^/]+)?\/v1\//.test(url.pathname)) return;
  if (event.request.mode === "navigate") {
    event.respondWith(
      fetch(event.request)
        .then((response) => {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
          return response;
        })
        .catch(() => caches.match(event.request).then((hit) => hit || caches.match("/"))),
    );
    return;
  }
  event.respondWith(
    caches.match(event.request).then((hit) => {
      const fresh = fetch(event.request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      });
      return hit || fresh;
    }),
  );
});
