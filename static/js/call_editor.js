// The call editor, progressively enhanced: line numbers beside the textarea, the text checked as one types
// (debounced; the server answers with the errors, writes nothing), and error links that put the caret on their line.
// Without this script the textarea, « Vérifier » and the error list work alone.
(function () {
  "use strict";
  var form = document.querySelector("form.call-editor");
  if (!form || !window.fetch || !window.FormData) return;
  var area = form.querySelector("textarea");
  var report = document.getElementById("verification");
  var gutter = document.createElement("pre");
  gutter.className = "line-numbers";
  gutter.setAttribute("aria-hidden", "true");
  var frame = document.createElement("div");
  frame.className = "editor-frame";
  area.parentNode.insertBefore(frame, area);
  frame.appendChild(gutter);
  frame.appendChild(area);

  function numbers() {
    var count = area.value.split("\n").length, text = "";
    for (var n = 1; n <= count; n++) text += n + "\n";
    gutter.textContent = text;
    gutter.scrollTop = area.scrollTop;
  }

  function goTo(line) {
    var lines = area.value.split("\n"), start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1] || "").length);
    var height = area.scrollHeight / Math.max(lines.length, 1);
    area.scrollTop = Math.max(0, (line - 5) * height);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-line]");
    if (!link) return;
    event.preventDefault();
    goTo(parseInt(link.getAttribute("data-line"), 10));
  });

  function item(list, entry) {
    var li = document.createElement("li");
    if (entry.line) {
      var a = document.createElement("a");
      a.href = "#ligne-" + entry.line;
      a.setAttribute("data-line", entry.line);
      a.textContent = "Ligne " + entry.line;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" — "));
    }
    var code = document.createElement("code");
    code.textContent = entry.field;
    li.appendChild(code);
    li.appendChild(document.createTextNode(" : " + entry.message));
    list.appendChild(li);
  }

  function show(answer) {
    report.innerHTML = "";
    report.className = answer.errors.length ? "error-summary" : "notice";
    if (answer.errors.length) {
      var title = document.createElement("h2");
      var n = answer.errors.length;
      title.textContent = "Le texte contient " + n + " erreur" + (n > 1 ? "s" : "");
      report.appendChild(title);
      var list = document.createElement("ul");
      answer.errors.forEach(function (e) { item(list, e); });
      report.appendChild(list);
      area.setAttribute("aria-invalid", "true");
    } else {
      var p = document.createElement("p");
      p.innerHTML = "<strong>Le texte est valide (vérifié pendant la saisie, non enregistré).</strong>";
      report.appendChild(p);
      area.removeAttribute("aria-invalid");
    }
    if (answer.warnings && answer.warnings.length) {
      var h = document.createElement("h3");
      h.textContent = "À vérifier";
      report.appendChild(h);
      var more = document.createElement("ul");
      answer.warnings.forEach(function (w) { item(more, w); });
      report.appendChild(more);
    }
  }

  var timer = null, asked = 0;
  function check() {
    var mine = ++asked, data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    data.append("text", area.value);
    fetch(form.getAttribute("data-check-url"), {method: "POST", body: data, credentials: "same-origin",
                                                headers: {"X-Requested-With": "fetch"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer && mine === asked) show(answer); })
      .catch(function () { /* the « Vérifier » button still works */ });
  }

  area.addEventListener("input", function () {
    numbers();
    clearTimeout(timer);
    timer = setTimeout(check, 700);
  });
  area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
  numbers();
})();
