// Preloaded into the action's node process (`node --import bench/peak-rss.mjs dist/index.js`):
// at exit it writes the process's own VmHWM (peak RSS, bytes) to $BENCH_PEAK_RSS_FILE, so a
// peak in the last moments before exit is not missed by the parent's /proc polling.
import { readFileSync, writeFileSync } from 'node:fs';

const target = process.env.BENCH_PEAK_RSS_FILE;
if (target) {
  process.on('exit', () => {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) writeFileSync(target, String(Number(match[1]) * 1024));
  });
}
