// Calls the worker's JSON endpoint and shows its answer.
const answer = document.getElementById("answer");
const status = document.getElementById("status");
const again = document.getElementById("again");

function showStatus(text, kind) {
  status.textContent = text;
  status.className = `pill pill-${kind}`;
}

async function callApi() {
  showStatus("calling…", "wait");
  const started = performance.now();
  try {
    const response = await fetch("/api/hello", { headers: { Accept: "application/json" } });
    const body = await response.json();
    const ms = Math.round(performance.now() - started);
    answer.textContent = JSON.stringify(body, null, 2);
    showStatus(`${response.status} · ${ms} ms`, response.ok ? "ok" : "bad");
  } catch (error) {
    answer.textContent = String(error);
    showStatus("failed", "bad");
  }
}

again.addEventListener("click", callApi);
callApi();
