// Progressive enhancement: the server already writes the days left; this keeps the text exact to the minute.
(function () {
  var nodes = document.querySelectorAll(".countdown[data-deadline]");
  if (!nodes.length) return;
  function plural(n, word) { return n + " " + word + (n > 1 ? "s" : ""); }
  function render(node) {
    var deadline = new Date(node.getAttribute("data-deadline")).getTime() + 1000; // the whole last second counts
    var left = Math.floor((deadline - Date.now()) / 60000);
    if (left < 0) { node.textContent = "La date limite est passée."; return; }
    var days = Math.floor(left / 1440), hours = Math.floor((left % 1440) / 60), minutes = left % 60;
    var parts = [];
    if (days) parts.push(plural(days, "jour"));
    if (days || hours) parts.push(plural(hours, "heure"));
    parts.push(plural(minutes, "minute"));
    node.textContent = "Temps restant : " + parts.join(", ") + ".";
  }
  nodes.forEach(function (node) {
    // Screen readers are not interrupted every minute: the region is not live.
    render(node);
    setInterval(function () { render(node); }, 30000);
  });
})();
