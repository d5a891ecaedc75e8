/** A minimal, self-contained HTML page for the few answers that are pages, not JSON (sign-in errors). */
const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderMessagePage(p: {
  title: string;
  message: string;
  actionHref: string;
  actionText: string;
}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(p.title)}</title></head>
<body><main><h1>${escape(p.title)}</h1><p role="alert">${escape(p.message)}</p>
<p><a href="${escape(p.actionHref)}">${escape(p.actionText)}</a></p></main></body></html>`;
}
