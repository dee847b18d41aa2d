// Search and expand-all; the page works without this (CSP allows only this script, by hash).
(function () {
  var q = document.getElementById("search");
  if (q) {
    q.hidden = false;
    var rows = document.querySelectorAll("[data-search]");
    q.addEventListener("input", function () {
      var t = q.value.toLowerCase();
      for (var i = 0; i < rows.length; i++) {
        rows[i].hidden = t !== "" && rows[i].textContent.toLowerCase().indexOf(t) < 0;
      }
    });
  }
  var b = document.getElementById("expand");
  if (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var all = document.querySelectorAll("details.layer");
      var open = b.textContent.indexOf("Open") === 0;
      for (var i = 0; i < all.length; i++) all[i].open = open;
      b.textContent = open ? "Close all layers" : "Open all layers";
    });
  }
})();
