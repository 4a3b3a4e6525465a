// "Nearest first": asks the phone for its position, then sends the filter form with it.
// Without JavaScript or a position the server falls back to newest first.
(function () {
  var script = document.currentScript;
  var form = document.getElementById("queue-filters");
  var status = document.getElementById("locate-status");
  if (!form || !("geolocation" in navigator)) return;
  form.addEventListener("submit", function (event) {
    if (form.elements.order.value !== "nearest" || form.elements.lat.value) return;
    event.preventDefault();
    status.textContent = script.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.lat.value = position.coords.latitude.toFixed(5);
      form.elements.lon.value = position.coords.longitude.toFixed(5);
      form.submit();
    }, function () {
      status.textContent = script.dataset.failed;
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 120000 });
  });
  // Choosing "nearest" applies at once: the position is asked for, then the form sent.
  form.elements.order.addEventListener("change", function () {
    form.elements.lat.value = "";
    form.elements.lon.value = "";
    if (form.elements.order.value === "nearest") form.requestSubmit();
  });
})();
