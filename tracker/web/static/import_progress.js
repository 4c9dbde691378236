// The caseload import page's progress bar. The form posts as usual (the result page comes
// when the import ends, with or without this script); meanwhile this asks the server how
// far the import has got and moves the <progress> bar.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form) { return; }
  var box = document.getElementById("import-progress-box");
  var bar = document.getElementById("import-progress");
  var label = document.getElementById("import-progress-label");
  var runId = form.elements.namedItem("run_id").value;
  var timer = null;

  function poll() {
    fetch("/import/progress/" + encodeURIComponent(runId), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (answer) {
      return answer.ok ? answer.json() : null;
    }).then(function (state) {
      if (!state || state.unknown || !state.total) { return; }
      bar.max = state.total;
      bar.value = Math.min(state.done, state.total);
      label.textContent = state.finished ? "Finishing…" :
        state.stage + ": " + state.done + " of " + state.total + " rows";
    }).catch(function () { /* the next poll will tell */ });
  }

  form.addEventListener("submit", function () {
    box.hidden = false;
    if (timer === null) { timer = window.setInterval(poll, 700); }
  });
})();
