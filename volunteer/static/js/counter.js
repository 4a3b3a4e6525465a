// Keeps a text box's "n / limit" counter current as the resident types or pastes; the
// server renders the same counter and refuses an over-long text, so this only helps.
(function () {
  document.querySelectorAll("textarea[data-limit]").forEach(function (box) {
    var counter = document.getElementById(box.id + "-count");
    if (!counter) return;
    var limit = parseInt(box.dataset.limit, 10);
    var count = counter.querySelector(".count");
    function update() {
      count.textContent = box.value.length;
      counter.classList.toggle("over", box.value.length > limit);
    }
    box.addEventListener("input", update);
    update();
  });
})();
