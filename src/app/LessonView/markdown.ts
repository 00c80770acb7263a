/**
 * Lesson Markdown to safe HTML: marked renders, DOMPurify sanitises. Images may only show the lesson's own
 * attachments (by name, served from the device), so a lesson never reaches out to another site and works offline.
 * Loaded lazily: the week screen does not pay for it.
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { fileUrl } from '../../protocol/paths.ts';
import type { FileRef } from '../../protocol/schemas.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  // Lessons are Markdown: HTML typed into them is shown as text, not parsed. DOMPurify and the CSP still stand
  // behind, but then never even see a tag from a lesson (parsing one in the browser, however inert, reports CSP
  // violations for its inline handlers).
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
  },
  // The page's title is the lesson's only <h1>: a lesson's own headings start one level below.
  walkTokens(token) {
    if (token.type === 'heading') token.depth = Math.min(6, token.depth + 1);
  },
});

/** Renders `body`, resolving image sources against `attachments`; returns sanitised HTML and the names it showed. */
export function renderLessonHtml(
  body: string,
  attachments: readonly FileRef[],
): { html: string; inlined: Set<string> } {
  const byName = new Map(attachments.map((a) => [a.name, a]));
  const inlined = new Set<string>();
  const raw = marked.parse(body) as string;
  const purify = DOMPurify(window);
  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'IMG') {
      const name = decodeURIComponent(node.getAttribute('src') ?? '');
      const file = byName.get(name);
      if (file && file.type.startsWith('image/')) {
        node.setAttribute('src', fileUrl(file.sha256));
        node.setAttribute('loading', 'lazy');
        inlined.add(file.sha256);
      } else {
        node.removeAttribute('src');
      }
    }
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (/^https?:/i.test(href)) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    }
  });
  const html = purify.sanitize(raw, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
  return { html, inlined };
}
