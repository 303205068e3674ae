/** Sections of a Markdown document, by their `## ` heading. */

/** Start and end offsets of the `## ` section whose heading line starts with `heading`, if any. */
function find(markdown: string, heading: string): { start: number; end: number } | undefined {
  const lines = markdown.split('\n');
  let offset = 0;
  let start: number | undefined;
  for (const line of lines) {
    if (start === undefined && line.startsWith(heading)) start = offset;
    else if (start !== undefined && /^## /.test(line)) return { start, end: offset };
    offset += line.length + 1;
  }
  return start === undefined ? undefined : { start, end: markdown.length };
}

/** The section (heading to the next `## ` heading) whose heading starts with `heading`. */
export function sectionOf(markdown: string, heading: string): string | undefined {
  const found = find(markdown, heading);
  return found && markdown.slice(found.start, found.end);
}

/** `markdown` with that section replaced by `section`, or with `section` appended when it has none. */
export function replaceSection(markdown: string, heading: string, section: string): string {
  const body = section.endsWith('\n') ? section : `${section}\n`;
  const found = find(markdown, heading);
  if (!found) return `${markdown.trimEnd()}\n\n${body}`;
  const after = markdown.slice(found.end);
  return `${markdown.slice(0, found.start)}${body}${after ? `\n${after}` : ''}`;
}
