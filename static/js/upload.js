// Progressive enhancement of the upload forms: a progress bar, a size check before sending, and the server's
// answer in place: an accepted file is listed in its slot and said (« Pièce ajoutée : nom (taille) »), a refusal is
// shown as the field's error and announced. Without JavaScript the same forms post normally and the page comes
// back to the slot with the same messages.
(function () {
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) return;

  function enhance(form) {
    var input = form.querySelector("input[type=file]");
    var field = input.closest(".field");
    var bar = form.querySelector("[data-progress]");
    var status = form.querySelector("[data-upload-status]");
    var errorId = input.id + "-error";

    function describedBy(withError) {
      var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
        return id && id !== errorId;
      });
      if (withError) ids.push(errorId);
      input.setAttribute("aria-describedby", ids.join(" "));
    }

    function clearError() {
      var error = document.getElementById(errorId);
      if (error) error.remove();
      field.classList.remove("field-error");
      input.removeAttribute("aria-invalid");
      describedBy(false);
    }

    function showError(message) {
      bar.hidden = true;
      status.textContent = "";
      clearError();
      var error = document.createElement("p");
      error.className = "error-message";
      error.id = errorId;
      error.setAttribute("role", "alert");
      var prefix = document.createElement("span");
      prefix.className = "visually-hidden";
      prefix.textContent = "Erreur : ";
      error.appendChild(prefix);
      error.appendChild(document.createTextNode(message));
      input.insertAdjacentElement("beforebegin", error);
      field.classList.add("field-error");
      input.setAttribute("aria-invalid", "true");
      describedBy(true);
    }

    // The slot as the server now lists it (its files, the label of the field), fetched after an accepted upload;
    // the form itself stays, so that the focus stays where it was.
    function refreshSlot(message) {
      var section = form.closest("section");
      var done = function () { bar.hidden = true; input.value = ""; status.textContent = message; };
      if (!window.fetch || !section) { done(); return; }
      fetch(window.location.pathname, {credentials: "same-origin"})
        .then(function (response) { return response.text(); })
        .then(function (text) {
          var fresh = new DOMParser().parseFromString(text, "text/html").getElementById(section.id);
          if (fresh) {
            section.className = fresh.className;
            var files = section.querySelector("[data-slot-files]"), freshFiles = fresh.querySelector("[data-slot-files]");
            if (files && freshFiles) files.innerHTML = freshFiles.innerHTML;
            var label = form.querySelector("label[for='" + input.id + "']");
            var freshLabel = fresh.querySelector("label[for='" + input.id + "']");
            if (label && freshLabel) label.textContent = freshLabel.textContent;
          }
        })
        .catch(function () { /* the message still says the file was kept; a reload lists it */ })
        .then(done);
    }

    form.addEventListener("submit", function (event) {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return; // the server answers with its own message
      var tooBig = files.filter(function (f) { return max && f.size > max; });
      event.preventDefault();
      if (tooBig.length) {
        showError("« " + tooBig[0].name + " » dépasse la taille maximale (" + Math.round(max / 1048576) +
          " Mo) : choisissez un fichier plus léger.");
        input.focus();
        return;
      }
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("X-Upload", "1");
      clearError();
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
        if (request.status === 200 && data.ok) { refreshSlot(data.message); return; }
        if (request.status === 413) data.message = "Le fichier est trop volumineux : rien n'a été enregistré.";
        showError(data.message || "L'envoi a échoué : rien n'a été enregistré.");
      });
      request.addEventListener("error", function () {
        showError("Connexion interrompue : le fichier n'a pas été enregistré. Réessayez.");
      });
      request.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(enhance);
})();
