// The guestbook page: lists the entries from /api/entries and signs the book through it.

const list = document.querySelector("#entries");
const form = document.querySelector("#sign");
const error = document.querySelector("#error");

function show(entry) {
  const item = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = entry.name;
  const when = document.createElement("time");
  when.dateTime = entry.at;
  when.textContent = new Date(entry.at).toLocaleString();
  const text = document.createElement("p");
  text.textContent = entry.message;
  item.append(who, " ", when, text);
  return item;
}

async function load() {
  const answer = await (await fetch("/api/entries")).json();
  document.querySelector("#title").textContent = answer.title;
  document.title = answer.title;
  list.replaceChildren(...answer.entries.map(show));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = Object.fromEntries(new FormData(form));
  const response = await fetch("/api/entries", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fields),
  });
  const answer = await response.json();
  error.textContent = response.ok ? "" : answer.error;
  if (response.ok) {
    form.reset();
    list.prepend(show(answer));
  }
});

load();
