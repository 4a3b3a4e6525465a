// Turns alerts on or off for this device. The browser's permission is asked only when
// the volunteer taps "turn on", after choosing what to hear: never on page load.
(function () {
  "use strict";
  var texts = document.currentScript.dataset;
  var enable = document.getElementById("enable-push");
  var disable = document.getElementById("disable-push");
  var status = document.getElementById("push-status");
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    status.textContent = texts.unsupported;
    return;
  }

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": texts.csrf } });
  }
  function registration() {
    return navigator.serviceWorker.getRegistration("/volunteer/").then(function (found) {
      return found || navigator.serviceWorker.ready;
    });
  }
  function show(subscription) {
    enable.hidden = Boolean(subscription);
    disable.hidden = !subscription;
    status.textContent = subscription ? texts.on : texts.off;
  }

  registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(show);

  enable.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        status.textContent = texts.denied;
        return null;
      }
      return registration().then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(texts.key) });
      }).then(function (subscription) {
        return post(texts.add, subscription.toJSON()).then(function () { show(subscription); });
      });
    }).catch(function () { status.textContent = texts.unsupported; });
  });

  disable.addEventListener("click", function () {
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (subscription) {
      if (!subscription) return show(null);
      return post(texts.forget, { endpoint: subscription.endpoint })
        .then(function () { return subscription.unsubscribe(); }).then(function () { show(null); });
    });
  });
})();
