// Tessera's service worker, served at /sw.js so that its scope is the whole site. It only shows
// Web Push messages: {"title", "body", "url", "tag"} (tessera/notifications/push/message.py). A
// message with the tag of one already on screen replaces it (a retried delivery shows once), and
// a click opens the issue, in a tab already showing it when there is one.
//
// When the push service renews or drops a subscription it fires `pushsubscriptionchange`: the
// worker subscribes again with the same applicationServerKey, registers the new subscription with
// POST /v2/push/subscriptions and removes the old one (DELETE ?endpoint=). A service worker cannot
// read the page's CSRF token, so every page sends it here (bell.js) and it is kept in Cache
// Storage (the worker may be stopped between events). A subscription the server refused (no
// token yet, an expired session) stays unsent there and goes with the next token a page sends.
"use strict";

const STATE = "tessera-sw-state";
const CSRF_KEY = "/sw-state/csrf";
const UNSENT_KEY = "/sw-state/unsent-subscription";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = {body: event.data ? event.data.text() : ""};
  }
  const options = {body: message.body || "", data: {url: message.url || "/notifications"}};
  if (message.tag) { options.tag = message.tag; options.renotify = true; }
  event.waitUntil(self.registration.showNotification(message.title || "Tessera", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/notifications",
                         self.location.origin).href;
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then((windows) => {
    const open = windows.find((client) => client.url === target && "focus" in client);
    return open ? open.focus() : self.clients.openWindow(target);
  }));
});

async function remember(key, text) {
  const cache = await caches.open(STATE);
  return text === null ? cache.delete(key) : cache.put(key, new Response(text));
}

async function recall(key) {
  const found = await (await caches.open(STATE)).match(key);
  return found ? found.text() : null;
}

function keyBytes(text) {
  const base64 = (text + "=".repeat((4 - text.length % 4) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function applicationServerKey(old) {
  if (old && old.options && old.options.applicationServerKey) return old.options.applicationServerKey;
  const response = await fetch("/v2/push/vapid-public-key", {credentials: "same-origin"});
  if (!response.ok) throw new Error(`no VAPID key (HTTP ${response.status})`);
  return keyBytes((await response.json()).public_key);
}

// Registers `subscription` (what PushSubscription.toJSON() gives) and removes `oldEndpoint`;
// true when the server took it. Kept for the next token when it did not.
async function sendSubscription(subscription, oldEndpoint) {
  const headers = {"Content-Type": "application/json", "X-CSRF-Token": (await recall(CSRF_KEY)) || ""};
  const response = await fetch("/v2/push/subscriptions", {method: "POST", credentials: "same-origin", headers,
                                                          body: JSON.stringify(subscription)});
  if (!response.ok) {
    await remember(UNSENT_KEY, JSON.stringify({subscription, oldEndpoint}));
    return false;
  }
  await remember(UNSENT_KEY, null);
  if (oldEndpoint && oldEndpoint !== subscription.endpoint) {  // a 404: the server had dropped it already
    await fetch(`/v2/push/subscriptions?endpoint=${encodeURIComponent(oldEndpoint)}`,
                {method: "DELETE", credentials: "same-origin", headers: {"X-CSRF-Token": headers["X-CSRF-Token"]}});
  }
  return true;
}

async function resubscribe(oldSubscription, newSubscription) {
  const subscription = newSubscription || await self.registration.pushManager.subscribe(
    {userVisibleOnly: true, applicationServerKey: await applicationServerKey(oldSubscription)});
  return sendSubscription(subscription.toJSON(), oldSubscription ? oldSubscription.endpoint : null);
}

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(resubscribe(event.oldSubscription, event.newSubscription).catch(() => false));
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type !== "csrf" || typeof message.token !== "string") return;
  event.waitUntil(remember(CSRF_KEY, message.token).then(() => recall(UNSENT_KEY)).then((unsent) => {
    if (!unsent) return false;
    const {subscription, oldEndpoint} = JSON.parse(unsent);
    return sendSubscription(subscription, oldEndpoint);
  }).catch(() => false));
});
