// "Use my location": fills the hidden lat/lon fields; the form works without it.
(function () {
  var script = document.currentScript;
  var box = document.getElementById("locate-box");
  var button = document.getElementById("locate-button");
  var status = document.getElementById("locate-status");
  if (!box || !button || !("geolocation" in navigator)) return;
  box.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = script.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      document.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(6);
      document.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(6);
      document.querySelector("input[name=location_source]").value = "device";
      status.textContent = script.dataset.done;
    }, function () {
      status.textContent = script.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
