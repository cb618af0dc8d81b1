import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../testbed/repo-root.js';

const root = repoRoot();
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const actionYml = readFileSync(join(root, 'action.yml'), 'utf8');

function section(name: 'inputs' | 'outputs'): string {
  const start = actionYml.indexOf(`\n${name}:\n`);
  const end = actionYml.indexOf('\n', actionYml.indexOf(`\n${name === 'inputs' ? 'outputs' : 'runs'}:`) - 1);
  return actionYml.slice(start, end);
}

function declared(name: 'inputs' | 'outputs'): Map<string, string | undefined> {
  const result = new Map<string, string | undefined>();
  for (const match of section(name).matchAll(/^ {2}([a-z0-9-]+):\n((?: {4}.*\n?)*)/gm)) {
    const literal = /^ {4}default: \|\n((?: {6}.*\n)+)/m.exec(match[2] ?? '');
    const plain = /^ {4}default: (.*)$/m.exec(match[2] ?? '');
    const value =
      literal?.[1] !== undefined
        ? literal[1]
            .trim()
            .split('\n')
            .map((l) => l.trim())
            .join(' and ')
        : plain?.[1]?.replace(/^'(.*)'$/, '$1');
    result.set(match[1]!, value);
  }
  return result;
}

function tableRows(header: string): Map<string, string[]> {
  const start = readme.indexOf(header);
  const rows = new Map<string, string[]>();
  for (const line of readme.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    rows.set(cells[0]!.replace(/`/g, ''), cells);
  }
  return rows;
}

describe('README stays in sync with action.yml and docs/', () => {
  it('documents every input with its default, and no input that does not exist', () => {
    const inputs = declared('inputs');
    const rows = tableRows('| input | default | meaning |');
    expect([...rows.keys()].sort()).toEqual([...inputs.keys()].sort());
    for (const [name, value] of inputs) {
      const documented = rows.get(name)![1]!;
      if (value === undefined) expect(documented).toMatch(/^(—|required)$/);
      else expect(documented.replace(/`/g, '')).toBe(value === '' ? '""' : value);
    }
  });

  it('documents every output', () => {
    expect([...tableRows('| output | meaning |').keys()].sort()).toEqual([...declared('outputs').keys()].sort());
  });

  it('shows the IAM policies exactly as in docs/', () => {
    for (const file of [
      'iam-policy.json',
      'trust-policy.json',
      'iam-policy-verify-public.json',
      'iam-policy-verify-private.json',
      'iam-policy-staging.json',
    ]) {
      const text = readFileSync(join(root, 'docs', file), 'utf8');
      expect(readme).toContain(`\`\`\`json\n${text}\`\`\``);
    }
  });

  it('leads with the demo and the test command that CI runs', () => {
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Usage'));
    expect(quickStart).toContain('npm run demo');
    expect(quickStart).toContain('npm test');
    // The same command, bounded by a timeout in CI.
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(/^(?:timeout \d+ )?npm test$/m);
  });
});
