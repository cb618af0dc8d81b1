// Checks the demo's system tools (installing them with apt when it can), turns the TypeScript demo
// driver and testbed into JavaScript, and runs it. The action itself runs from the committed dist/index.js.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureSystemTools } from './system-tools.mjs';

const missingTools = ensureSystemTools('The demo');
if (missingTools !== undefined) {
  console.error(missingTools);
  process.exit(1);
}
if (!existsSync('node_modules')) {
  console.error('Run `npm ci` first.');
  process.exit(1);
}

// Types only stripped, file by file (tsconfig's isolatedModules makes that safe): type checking is
// `npm run typecheck`'s job, and a whole-program tsc took most of the demo's minute on a busy 2-core machine.
const { default: ts } = await import('typescript');
const OUT = '.tmp/scripts';
const sources = (dir) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(dir, file));
rmSync(OUT, { recursive: true, force: true });
for (const file of [...sources('scripts'), ...sources('testbed')]) {
  const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true },
  });
  if (diagnostics?.length) {
    console.error(`${file}: ${ts.flattenDiagnosticMessageText(diagnostics[0].messageText, '\n')}`);
    process.exit(1);
  }
  const target = join(OUT, file.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, outputText);
}
const demo = spawnSync(process.execPath, [join(OUT, 'scripts/demo.js')], { stdio: 'inherit' });
process.exit(demo.status ?? 1);
