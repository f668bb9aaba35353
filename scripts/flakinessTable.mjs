// Reads the logs of scripts/flakiness.sh (node:test's TAP output) and prints a Markdown table: each run's
// totals and time, then every failed test (its full name, suites included) with the first line of its
// cause, counted over the runs. Usage: node scripts/flakinessTable.mjs test-artifacts/flakiness/run-*.log
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const runs = [];
const failures = new Map(); // "suite > test" -> { runs: Set, causes: Set }
for (const file of process.argv.slice(2)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const stack = [];
  let pass = '?';
  let fail = '?';
  let tail = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const sub = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (sub) {
      const depth = sub[1].length / 4;
      stack.length = depth;
      stack[depth] = sub[2];
      continue;
    }
    const notOk = /^(\s*)not ok \d+ - (.*)$/.exec(line);
    if (notOk) {
      const depth = notOk[1].length / 4;
      // A suite fails when a test in it fails: count the innermost only.
      const next = lines.slice(i + 1, i + 40).join('\n');
      if (/^\s*failureType: 'subtestsFailed'/m.test(next.split(/\n\s*\.\.\./)[0] ?? '')) continue;
      const name = [...stack.slice(0, depth), notOk[2]].join(' > ');
      const cause =
        /^\s*error: (.*)$/m
          .exec(next)?.[1]
          ?.replace(/^['|"]|['"]$/g, '')
          .slice(0, 160) ??
        /^\s*failureType: (.*)$/m.exec(next)?.[1] ??
        'see the log';
      const entry = failures.get(name) ?? { runs: new Set(), causes: new Set() };
      entry.runs.add(basename(file));
      entry.causes.add(cause);
      failures.set(name, entry);
      continue;
    }
    const p = /^# pass (\d+)$/.exec(line);
    if (p) pass = p[1];
    const f = /^# fail (\d+)$/.exec(line);
    if (f) fail = f[1];
    const end = /^# run \d+: (exit \d+ in \d+ s)/.exec(line);
    if (end) tail = end[1];
  }
  // A run that ended before any test (lint, types, build) failed too: say where.
  if (pass === '?' && !/exit 0 /.test(tail)) {
    const last = lines.filter((l) => /\S/.test(l) && !l.startsWith('# run ')).slice(-3);
    const name = `(before the tests) ${last.join(' / ').slice(0, 200)}`;
    const entry = failures.get(name) ?? { runs: new Set(), causes: new Set() };
    entry.runs.add(basename(file));
    entry.causes.add('the lint, type check or build step failed');
    failures.set(name, entry);
  }
  runs.push({ file: basename(file), pass, fail, tail });
}
console.log('| run | tests passed | failed | result |');
console.log('|---|---|---|---|');
for (const r of runs) console.log(`| ${r.file} | ${r.pass} | ${r.fail} | ${r.tail} |`);
console.log('');
if (failures.size === 0) {
  console.log(`No test failed in ${runs.length} runs.`);
} else {
  console.log('| test | failed in | cause |');
  console.log('|---|---|---|');
  for (const [name, e] of failures)
    console.log(
      `| ${name} | ${e.runs.size} of ${runs.length} (${[...e.runs].join(', ')}) | ${[...e.causes].join('; ')} |`,
    );
}
