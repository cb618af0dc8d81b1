/** Reads a tar with tar-stream, so tests do not trust our own tar writer. */
import { extract, type Header } from 'tar-stream';

export interface TarEntry {
  header: Header;
  body: string;
}

export async function readTar(bytes: Uint8Array): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        entries.push({ header, body: Buffer.concat(chunks).toString('utf8') });
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(Buffer.from(bytes));
  await done;
  return entries;
}
