// Progressive enhancement of the application form: autosave a moment after each change, live budget totals
// and character counters. Without JavaScript the "Enregistrer le brouillon" button (« Enregistrer les
// modifications » once deposited) does the same on the server.
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var status = form.querySelector("[data-autosave-status]");
  var timer = null, saving = false, again = false;

  function say(text) { if (status) status.textContent = text; }

  function save() {
    if (saving) { again = true; return; }
    saving = true;
    say("Enregistrement…");
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"X-Autosave": "1"}})
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (result) {
        var data = result[1];
        if (result[0] && data.saved) {
          form.querySelector("input[name=revision]").value = data.revision;
          say(data.warning ? data.warning : data.message);
        } else {
          say(data.message || "Enregistrement impossible : vos dernières réponses ne sont pas enregistrées. Utilisez le " +
              "bouton « " + form.querySelector("button[type=submit]").textContent.trim() + " ».");
        }
      })
      .catch(function () { say("Connexion perdue : vos réponses ne sont pas enregistrées. Réessayez dans un instant."); })
      .then(function () { saving = false; if (again) { again = false; save(); } });
  }

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(save, 1500); updateTotals(); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(save, 300); });

  // Budget totals, as the server computes them (Cerfa 12156, section 6).
  function amount(text) {
    var cleaned = (text || "").replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
    return /^-?\d+(\.\d{1,2})?$/.test(cleaned) ? Math.round(parseFloat(cleaned) * 100) : 0;
  }
  function euros(cents) {
    return (cents / 100).toLocaleString("fr-FR", {style: "currency", currency: "EUR"});
  }
  function updateTotals() {
    var sums = {charges: 0, produits: 0};
    form.querySelectorAll("input[data-line]").forEach(function (input) {
      var key = input.getAttribute("data-line");
      if (key in sums) sums[key] += amount(input.value);
    });
    Object.keys(sums).forEach(function (key) {
      var output = form.querySelector("output[data-total=" + key + "]");
      if (output) output.textContent = euros(sums[key]);
    });
    var balance = document.getElementById("budget-total");
    if (balance && (sums.charges || sums.produits)) {
      balance.textContent = sums.charges === sums.produits ? "Budget équilibré : " + euros(sums.charges) + "."
        : "Budget non équilibré : écart de " + euros(Math.abs(sums.charges - sums.produits)) + ".";
    }
  }

  // Character counters under fields that have a maximum length.
  form.querySelectorAll("[data-max-length]").forEach(function (field) {
    var max = parseInt(field.getAttribute("data-max-length"), 10);
    var counter = document.createElement("p");
    counter.className = "hint counter";
    field.insertAdjacentElement("afterend", counter);
    function count() {
      var left = max - field.value.length;
      counter.textContent = left >= 0 ? left + " caractère(s) restant(s)" : (-left) + " caractère(s) de trop";
      counter.classList.toggle("counter-over", left < 0);
    }
    field.addEventListener("input", count);
    count();
  });
})();
