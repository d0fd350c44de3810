import type { EnvironmentSummary } from '@loco-portal/plugin-loco-common';

/** Shields.io's palette, so the badge sits well beside other README badges. */
const COLOURS = {
  green: '#4c1',
  yellow: '#dfb317',
  red: '#e05d44',
  blue: '#007ec6',
  grey: '#9f9f9f',
} as const;

export interface BadgeContent {
  label: string;
  message: string;
  colour: keyof typeof COLOURS;
}

/**
 * What the badge says about an environment. Counts come from the runtime's
 * health checks only; with no summary at all the badge says "unknown".
 */
export function badgeContent(summary: EnvironmentSummary | null): BadgeContent {
  if (!summary) return { label: 'loco', message: 'unknown', colour: 'grey' };
  if (summary.total === 0)
    return { label: 'loco', message: 'no instances', colour: 'grey' };
  const message = `${summary.healthy}/${summary.total} healthy`;
  let colour: BadgeContent['colour'] = 'yellow';
  if (summary.healthy === summary.total) colour = 'green';
  else if (summary.state === 'starting') colour = 'blue';
  else if (summary.healthy === 0) colour = 'red';
  return { label: 'loco', message, colour };
}

/**
 * Verdana 11px advance widths (as shields.io measures), rounded; other
 * characters count as a wide letter so text never overflows its box.
 */
function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    if ('il.|:; '.includes(ch)) width += ch === ' ' ? 4 : 3;
    else if ('/()-'.includes(ch)) width += 5;
    else if (/[0-9a-z]/.test(ch)) width += 7;
    else width += 8;
  }
  return width;
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"']/g, c => `&#${c.charCodeAt(0)};`);

/** A flat shields-style SVG badge: grey label on the left, coloured message on the right. */
export function renderBadge(content: BadgeContent): string {
  const label = escapeXml(content.label);
  const message = escapeXml(content.message);
  const lw = textWidth(content.label) + 10;
  const mw = textWidth(content.message) + 10;
  const w = lw + mw;
  const colour = COLOURS[content.colour];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${label}: ${message}">`,
    `<title>${label}: ${message}</title>`,
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
    `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${colour}"/><rect width="${w}" height="20" fill="url(#s)"/></g>`,
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">',
    `<text x="${
      lw / 2
    }" y="15" fill="#010101" fill-opacity=".3">${label}</text><text x="${
      lw / 2
    }" y="14">${label}</text>`,
    `<text x="${
      lw + mw / 2
    }" y="15" fill="#010101" fill-opacity=".3">${message}</text><text x="${
      lw + mw / 2
    }" y="14">${message}</text>`,
    '</g></svg>',
  ].join('');
}
