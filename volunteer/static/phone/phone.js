// The phone app on every signed-in field page: registers the service worker, says when
// the page is an offline copy, keeps actions recorded without a signal in IndexedDB and
// sends them, in order and once each (an idempotency key per action), when the network
// returns; then shows what became of each.
(function () {
  "use strict";
  var script = document.currentScript;
  var texts = script.dataset;
  var DB_NAME = "volunteer-phone";
  var REFRESH_EVERY_MS = 5 * 60 * 1000;
  var keepMs = Number(texts.keepDays || 3) * 24 * 3600 * 1000;
  var sending = false;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("queued", { keyPath: "id", autoIncrement: true });
        request.result.createObjectStore("results", { keyPath: "id", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function store(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function all(name) { return store(name, "readonly", function (s) { return s.getAll(); }); }
  function add(name, value) { return store(name, "readwrite", function (s) { return s.add(value); }); }
  function remove(name, id) { return store(name, "readwrite", function (s) { return s.delete(id); }); }
  function clear(name) { return store(name, "readwrite", function (s) { return s.clear(); }); }

  // --- Offline status -------------------------------------------------------------
  var banner = document.getElementById("offline-banner");
  function showStatus() {
    all("queued").then(function (queued) {
      var parts = [];
      if (!navigator.onLine) {
        var rendered = new Date(document.body.dataset.renderedAt);
        var when = rendered.toLocaleString(document.documentElement.lang || "vi",
          { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit" });
        parts.push(texts.offline.replace("{time}", when));
      }
      if (queued.length) parts.push(texts.pending.replace("{count}", queued.length));
      banner.textContent = parts.join(" ");
      banner.hidden = parts.length === 0;
      document.body.classList.toggle("is-offline", !navigator.onLine);
    });
  }

  var resultsBox = document.getElementById("phone-results");
  function showResults() {
    all("results").then(function (results) {
      var list = resultsBox.querySelector("ol");
      list.textContent = "";
      results.slice(-20).forEach(function (result) {
        var item = document.createElement("li");
        item.className = "phone-result phone-result-" + result.outcome;
        var word = texts[result.outcome] || "";
        item.textContent = [result.label, result.reference].filter(Boolean).join(" · ") + ": " + word +
          (result.message ? " — " + result.message : "");
        list.appendChild(item);
      });
      resultsBox.hidden = results.length === 0;
    });
  }
  document.getElementById("phone-results-seen").addEventListener("click", function () {
    clear("results").then(showResults);
  });

  // --- Recording without a signal -------------------------------------------------
  function newKey() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (navigator.onLine || !form.dataset || !form.dataset.offline) return;
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form, event.submitter || null));
    add("queued", {
      key: newKey(), url: form.action, body: body.toString(), label: form.dataset.offline,
      reference: form.dataset.reference || "", recordedAt: Date.now(),
    }).then(function () {
      (form.dataset.reset || "").split(" ").filter(Boolean).forEach(function (name) {
        var input = form.elements[name];
        if (input) input.value = "";
      });
      var note = form.querySelector(".offline-saved") || document.createElement("p");
      note.className = "flash flash-info offline-saved";
      note.setAttribute("role", "status");
      note.textContent = texts.saved;
      form.appendChild(note);
      showStatus();
    });
  });

  function send() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return all("queued").then(function (queued) {
      if (!queued.length) return null;
      return fetch(texts.token, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (token) { return sendEach(queued, token.csrf_token); })
        // What was sent changed my tickets: keep fresh copies, drop those no longer mine.
        .then(function () { return navigator.serviceWorker && navigator.serviceWorker.ready; })
        .then(function (registration) { if (registration) refreshCopies(registration, true); });
    }).catch(function () { return null; }).then(function () {
      sending = false;
      showStatus();
      showResults();
    });
  }

  // One after the other, in the order recorded: a network failure stops the run and
  // keeps the rest for later; an answer (done, refused) is final.
  function sendEach(queued, token) {
    return queued.reduce(function (previous, entry) {
      return previous.then(function (go) {
        if (!go) return false;
        if (Date.now() - entry.recordedAt > keepMs) {
          return finish(entry, { outcome: "expired", message: null }).then(function () { return true; });
        }
        var body = new URLSearchParams(entry.body);
        body.set("csrf_token", token);
        return fetch(entry.url, {
          method: "POST", body: body, credentials: "same-origin", redirect: "manual",
          headers: { "Idempotency-Key": entry.key, Accept: "application/json" },
        }).then(function (response) {
          if (!(response.headers.get("Content-Type") || "").includes("json")) return false;
          return response.json().then(function (answer) {
            return finish(entry, answer).then(function () { return true; });
          });
        }, function () { return false; });
      });
    }, Promise.resolve(true));
  }

  function finish(entry, answer) {
    return add("results", {
      label: entry.label, reference: entry.reference, outcome: answer.outcome,
      message: answer.message, recordedAt: entry.recordedAt,
    }).then(function () { return remove("queued", entry.id); });
  }

  // --- The service worker -----------------------------------------------------------
  function refreshCopies(registration, now) {
    var last = Number(localStorage.getItem("phone-refreshed-at") || 0);
    if (!navigator.onLine || (!now && Date.now() - last < REFRESH_EVERY_MS)) return;
    var worker = registration.active || registration.waiting || registration.installing;
    if (!worker) return;
    localStorage.setItem("phone-refreshed-at", String(Date.now()));
    worker.postMessage({ type: "refresh", pages: texts.pages });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(texts.worker, { scope: "/field/" }).catch(function () { return null; });
    navigator.serviceWorker.register(texts.worker, { scope: "/volunteer/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) { refreshCopies(registration, false); }).catch(function () { return null; });
  }

  window.addEventListener("online", function () { send(); showStatus(); });
  window.addEventListener("offline", showStatus);
  showStatus();
  showResults();
  send();
})();
