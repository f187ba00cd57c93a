// Tessera's service worker, served at /sw.js so that its scope is the whole site. It only shows
// Web Push messages: {"title", "body", "url", "tag"} (tessera/notifications/push/message.py). A
// message with the tag of one already on screen replaces it (a retried delivery shows once), and
// a click opens the issue, in a tab already showing it when there is one.
"use strict";

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
