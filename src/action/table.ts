/** The job summary's table shape and the cell helpers its sections share (markdown.ts renders it). */

export type Table = {
  heading: string;
  header: string[];
  /** Cells are HTML: each section escapes what it puts in. */
  rows: string[][];
  /** Columns left out when every row is zero or empty there, e.g. `Mounted` when nothing was mounted. */
  hideWhenZero?: readonly string[];
};

export const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
// Finding text and error messages come from elsewhere; the summary is HTML.
export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const escapeRows = (rows: string[][]): string[][] => rows.map((row) => row.map(escapeHtml));
