// Progressive enhancement of the thread: once the page is seen, send its « Marquer comme lu » form in the
// background, as the person would by pressing the button (a POST: the page itself never writes). Without
// JavaScript, the button does the same.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-auto-read]");
  if (!form || !window.fetch) return;
  const status = form.querySelector("[role=status]");
  fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                      headers: {"X-Requested-With": "fetch"}})
    .then((response) => {
      if (!response.ok) return;
      if (status) status.textContent = "Les nouveaux messages sont marqués comme lus.";
      const button = form.querySelector("button");
      if (button) button.hidden = true;
    })
    .catch(() => {});  // the button stays: she can still mark them read herself
});
