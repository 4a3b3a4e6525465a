// The volunteers' phone app. Registered twice (scopes /volunteer/ and /field/).
// Pages: network first; a copy is kept only of pages the server marks
// "X-Offline-Copy: keep" (the queue, my tickets, the visit form), stamped with when it
// was fetched and dropped after the server's keep_days. Alerts: web push.
"use strict";
const SHELL = "phone-shell-v1";
const PAGES = "phone-pages";
const FETCHED_AT = "X-Fetched-At";
const DAY_MS = 24 * 3600 * 1000;
const SHELL_FILES = [
  "/static/css/app.css",
  "/static/phone/phone.js",
  "/static/js/nearest.js",
  "/static/js/locate.js",
  "/static/phone/icons/icon-192.png",
];
let keepDays = 3;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("phone-shell-") && name !== SHELL) await caches.delete(name);
    }
    await forgetExpired();
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(shellFirst(request, event));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, event));
  }
});

async function shellFirst(request, event) {
  const cache = await caches.open(SHELL);
  const kept = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  });
  if (kept) {
    event.waitUntil(fresh.catch(() => null));
    return kept;
  }
  return fresh;
}

async function networkFirst(request, event) {
  let response;
  try {
    response = await fetch(request);
  } catch (offline) {
    return (await keptCopy(request.url)) || (await keptCopy("/volunteer/offline")) || Response.error();
  }
  event.waitUntil(remember(request.url, response.clone()));
  return response;
}

function keepable(response) {
  return response.ok && response.headers.get("X-Offline-Copy") === "keep";
}

// A kept copy replaces the last one; a page no longer marked (a ticket released or
// given to someone else, a session ended) loses its copy.
async function remember(url, response) {
  const cache = await caches.open(PAGES);
  if (!keepable(response)) {
    await cache.delete(url);
    return;
  }
  const headers = new Headers(response.headers);
  headers.set(FETCHED_AT, String(Date.now()));
  const body = await response.blob();
  await cache.put(url, new Response(body, { status: response.status, statusText: response.statusText, headers }));
}

async function keptCopy(url) {
  await forgetExpired();
  const cache = await caches.open(PAGES);
  return (await cache.match(url, { ignoreVary: true }))
    || (await cache.match(url, { ignoreSearch: true, ignoreVary: true }));
}

async function forgetExpired() {
  const cache = await caches.open(PAGES);
  const limit = Date.now() - keepDays * DAY_MS;
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    if (!response || Number(response.headers.get(FETCHED_AT) || 0) < limit) await cache.delete(request);
  }
}

// The page asks for a refresh when online: keep fresh copies of what the server lists,
// and drop copies of tickets no longer listed (released, reassigned, resolved).
async function refresh(listUrl) {
  const answer = await fetch(listUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!answer.ok || !(answer.headers.get("Content-Type") || "").includes("json")) return;
  const listing = await answer.json();
  keepDays = listing.keep_days || keepDays;
  const wanted = new Set(listing.pages.map((path) => new URL(path, self.location.origin).href));
  const cache = await caches.open(PAGES);
  for (const request of await cache.keys()) {
    if (new URL(request.url).pathname.startsWith("/volunteer/tickets/") && !wanted.has(request.url)) {
      await cache.delete(request);
    }
  }
  for (const url of wanted) {
    try {
      await remember(url, await fetch(url, { credentials: "same-origin" }));
    } catch (offline) {
      return;
    }
  }
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "refresh" && data.pages) event.waitUntil(refresh(data.pages));
});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (notJson) {
    data = { body: event.data.text() };
  }
  event.waitUntil(self.registration.showNotification(data.title || "", {
    body: data.body || "",
    tag: data.tag,
    icon: "/static/phone/icons/icon-192.png",
    badge: "/static/phone/icons/icon-96.png",
    data: { url: data.url || "/volunteer/notifications" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openPage((event.notification.data || {}).url));
});

// Only our own pages; an open window of the app is reused before a new one is opened.
async function openPage(path) {
  const target = new URL(path || "/volunteer/queue", self.location.origin);
  if (target.origin !== self.location.origin) return;
  const windows = await self.clients.matchAll({ type: "window" });
  for (const client of windows) {
    try {
      const opened = await client.navigate(target.href);
      if (opened) {
        opened.focus().catch(() => null);
        return;
      }
    } catch (notControlled) {
      // try the next window, or open one
    }
  }
  await self.clients.openWindow(target.href);
}
