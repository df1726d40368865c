// A deliberately small Markdown renderer: headings, paragraphs, lists, code blocks, block
// quotes, and inline code, emphasis and links. All text is HTML-escaped.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

// Letters or digits (the guest's regular expressions have no Unicode property classes).
const WORDLIKE = /[0-9A-Za-z\u00c0-\u024f\u0370-\uffff]/;

function escape(text) {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function inline(text) {
  return escape(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/\*([^*]+)\*/g, "<em>$1</em>")
    .replace(/\[([^\]]+)\]\(((?:https?:\/\/|\/)[^)\s]*)\)/g, '<a href="$2">$1</a>');
}

/** Markdown -> { title, words, html }; the title is the first heading (or "Untitled"). */
export function render(markdown) {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const html = [];
  let title;
  let paragraph = [];
  let list = null;
  let code = null;

  const flush = () => {
    if (paragraph.length) html.push(`<p>${inline(paragraph.join(" "))}</p>`);
    paragraph = [];
    if (list) html.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`);
    list = null;
  };

  for (const line of lines) {
    if (code !== null) {
      if (line.startsWith("```")) {
        html.push(`<pre><code>${escape(code.join("\n"))}</code></pre>`);
        code = null;
      } else {
        code.push(line);
      }
      continue;
    }
    let match;
    if (line.startsWith("```")) {
      flush();
      code = [];
    } else if ((match = /^(#{1,6})\s+(.*)$/.exec(line))) {
      flush();
      const level = match[1].length;
      title ??= match[2].trim();
      html.push(`<h${level}>${inline(match[2].trim())}</h${level}>`);
    } else if ((match = /^\s*(?:([-*])|(\d+)\.)\s+(.*)$/.exec(line))) {
      if (paragraph.length) flush();
      const tag = match[1] ? "ul" : "ol";
      if (list && list.tag !== tag) flush();
      list ??= { tag, items: [] };
      list.items.push(match[3]);
    } else if ((match = /^>\s?(.*)$/.exec(line))) {
      flush();
      html.push(`<blockquote>${inline(match[1])}</blockquote>`);
    } else if (line.trim() === "") {
      flush();
    } else {
      if (list) flush();
      paragraph.push(line.trim());
    }
  }
  if (code !== null) throw new SyntaxError("a code block (```) is never closed");
  flush();
  const words = markdown.split(/\s+/).filter((w) => WORDLIKE.test(w)).length;
  return { title: title ?? "Untitled", words, html: html.join("\n") };
}
