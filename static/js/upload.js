// Progressive enhancement of the upload forms: a progress bar, a size check before sending, and the server's
// answer in place. Without JavaScript the same forms post normally and the page reloads with the result.
(function () {
  if (!window.XMLHttpRequest || !window.FormData) return;
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector("[data-progress]");
    var status = form.querySelector("[data-upload-status]");
    form.addEventListener("submit", function (event) {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return; // the server answers with its own message
      var tooBig = files.filter(function (f) { return max && f.size > max; });
      event.preventDefault();
      if (tooBig.length) {
        status.textContent = "« " + tooBig[0].name + " » dépasse la taille maximale (" + Math.round(max / 1048576) +
          " Mo) : choisissez un fichier plus léger.";
        input.focus();
        return;
      }
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("X-Upload", "1");
      bar.hidden = false;
      bar.value = 0;
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(100 * e.loaded / e.total);
          status.textContent = "Envoi : " + bar.value + " %";
        }
      });
      request.addEventListener("load", function () {
        var data = {};
        try { data = JSON.parse(request.responseText); } catch (e) { data.message = "Réponse inattendue du serveur."; }
        if (request.status === 200 && data.ok) { window.location.reload(); return; }
        if (request.status === 413) data.message = "Le fichier est trop volumineux : rien n'a été enregistré.";
        bar.hidden = true;
        status.textContent = data.message || "L'envoi a échoué : rien n'a été enregistré.";
      });
      request.addEventListener("error", function () {
        bar.hidden = true;
        status.textContent = "Connexion interrompue : le fichier n'a pas été enregistré. Réessayez.";
      });
      request.send(new FormData(form));
    });
  });
})();
