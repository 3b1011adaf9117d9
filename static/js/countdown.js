// Progressive enhancement: the server already writes the days left; this keeps the text exact to the minute.
(function () {
  var nodes = document.querySelectorAll(".countdown[data-deadline]");
  if (!nodes.length) return;
  function plural(n, word) { return n + " " + word + (n > 1 ? "s" : ""); }
  // The server's clock decides, not the visitor's: a computer set five minutes slow must not show time that is
  // no longer there. The page says when it was made; the difference with this computer's clock is kept.
  var skew = 0;
  var made = nodes[0].getAttribute("data-now");
  if (made) skew = new Date(made).getTime() - Date.now();
  function render(node) {
    var deadline = new Date(node.getAttribute("data-deadline")).getTime() + 1000; // the whole last second counts
    var left = Math.floor((deadline - (Date.now() + skew)) / 60000);
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
