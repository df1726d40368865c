// Posts the textarea to /api/preview and shows the rendered HTML (or the error).
const form = document.getElementById("preview");
const result = document.getElementById("result");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const markdown = new FormData(form).get("markdown");
  const response = await fetch("/api/preview", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ markdown }),
  });
  const data = await response.json();
  result.innerHTML = response.ok
    ? `<p class="meta">${data.words} words</p>${data.html}`
    : `<p class="error">${response.status}: ${data.error}</p>`;
});
