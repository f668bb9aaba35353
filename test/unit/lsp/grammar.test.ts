// The TextMate grammar (syntaxes/kvmtrace.tmLanguage.json) under vscode-textmate with VS Code's Oniguruma:
// scopes of the prefix, events, reasons and numbers in every format, and every tracepoint line that the
// parser accepts gets an event-name scope.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, parseRawGrammar, Registry, type IGrammar } from 'vscode-textmate';
import { parseTraceText } from '../../../adapter/vmexits/index';
import { FIXTURES } from './client';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
let grammar: IGrammar;

before(async () => {
  const wasm = fs.readFileSync(path.join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const file = path.join(ROOT, 'syntaxes', 'kvmtrace.tmLanguage.json');
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => oniguruma.createOnigScanner(patterns),
      createOnigString: (s) => oniguruma.createOnigString(s),
    }),
    loadGrammar: (scope) =>
      Promise.resolve(
        scope === 'source.kvmtrace' ? parseRawGrammar(fs.readFileSync(file, 'utf8'), file) : null,
      ),
  });
  const loaded = await registry.loadGrammar('source.kvmtrace');
  assert.ok(loaded !== null);
  grammar = loaded;
});

/** The innermost scope of the token at the first occurrence of `text` in `line` (which must start a token). */
function scopeAt(line: string, text: string): string {
  const at = line.indexOf(text);
  assert.ok(at >= 0, `${text} not in ${line}`);
  const { tokens } = grammar.tokenizeLine(line, INITIAL);
  const token = tokens.find((t) => t.startIndex <= at && at < t.endIndex);
  assert.ok(token !== undefined);
  assert.equal(line.slice(token.startIndex, token.endIndex), text, `token at ${text}`);
  return token.scopes[token.scopes.length - 1] ?? '';
}

const lineOf = (name: string, marker: string): string =>
  fs
    .readFileSync(path.join(FIXTURES, name), 'utf8')
    .split('\n')
    .find((l) => l.includes(marker)) ?? '';

test('ftrace line: task, pid, cpu, flags, timestamp, event, reason, fields, hex numbers', () => {
  const l = lineOf('ftrace-6.1-svm.txt', 'reason npf rip 0xffffffff81234567');
  assert.equal(scopeAt(l, 'CPU 1/KVM'), 'entity.name.tag.task.kvmtrace');
  assert.equal(scopeAt(l, '4243'), 'constant.numeric.pid.kvmtrace');
  assert.equal(scopeAt(l, '000'), 'constant.numeric.cpu.kvmtrace');
  assert.equal(scopeAt(l, 'd..1.'), 'storage.modifier.flags.kvmtrace');
  assert.equal(scopeAt(l, '812.100800'), 'constant.numeric.timestamp.kvmtrace');
  assert.equal(scopeAt(l, 'kvm_exit'), 'keyword.control.event.exit.kvmtrace');
  assert.equal(scopeAt(l, 'npf'), 'entity.name.type.reason.kvmtrace');
  assert.equal(scopeAt(l, 'info1'), 'variable.parameter.field.kvmtrace');
  assert.equal(scopeAt(l, '0x0000000100000004'), 'constant.numeric.hex.kvmtrace');
  const entry = lineOf('ftrace-6.1-svm.txt', 'kvm_entry: vcpu 1, rip 0xffffffff81234567');
  assert.equal(scopeAt(entry, 'kvm_entry'), 'keyword.control.event.entry.kvmtrace');
  assert.equal(
    scopeAt(lineOf('ftrace-6.1-svm.txt', 'kvm_hypercall'), 'kvm_hypercall'),
    'entity.name.function.event.kvmtrace',
  );
});

test('reasons with spaces and flags, the tgid column, comments, lost events', () => {
  assert.equal(
    scopeAt(lineOf('ftrace-6.1-svm.txt', 'PF excp'), 'PF excp'),
    'entity.name.type.reason.kvmtrace',
  );
  const failed = lineOf('ftrace-6.x-vmx.txt', 'FAILED_VMENTRY');
  assert.equal(scopeAt(failed, 'INVALID_STATE FAILED_VMENTRY'), 'entity.name.type.reason.kvmtrace');
  assert.equal(scopeAt(lineOf('ftrace-tgid.txt', '4230'), '4230'), 'constant.numeric.tgid.kvmtrace');
  assert.equal(scopeAt('# tracer: nop', '# tracer: nop'), 'comment.line.number-sign.kvmtrace');
  const lost = 'CPU:1 [LOST 250 EVENTS]';
  assert.equal(scopeAt(lost, '[LOST 250 EVENTS]'), 'invalid.illegal.lost-events.kvmtrace');
  assert.equal(
    scopeAt('CPU:2 [112 EVENTS DROPPED]', '[112 EVENTS DROPPED]'),
    'invalid.illegal.lost-events.kvmtrace',
  );
  assert.equal(
    scopeAt(lineOf('bad-input.txt', 'PERF_RECORD_LOST'), 'PERF_RECORD_LOST'),
    'invalid.illegal.lost-events.kvmtrace',
  );
});

test('trace-cmd report and perf script lines', () => {
  assert.equal(scopeAt('version = 6', 'version = 6'), 'comment.line.header.kvmtrace');
  const tc = lineOf('trace-cmd-report.txt', 'native_safe_halt+0xe');
  assert.equal(scopeAt(tc, 'EXIT_HLT'), 'entity.name.type.reason.kvmtrace');
  assert.equal(scopeAt(tc, 'native_safe_halt+0xe'), 'entity.name.function.symbol.kvmtrace');
  assert.equal(
    scopeAt(lineOf('trace-cmd-report.txt', 'UNKNOWN (166)'), 'UNKNOWN (166)'),
    'entity.name.type.reason.kvmtrace',
  );
  const perf = lineOf('perf-script.txt', '8800/8820');
  assert.equal(scopeAt(perf, 'CPU 0/KVM'), 'entity.name.tag.task.kvmtrace');
  assert.equal(scopeAt(perf, '8800'), 'constant.numeric.pid.kvmtrace');
  assert.equal(scopeAt(perf, 'kvm'), 'entity.name.namespace.kvmtrace');
  assert.equal(scopeAt(perf, 'kvm_exit'), 'keyword.control.event.exit.kvmtrace');
  assert.equal(scopeAt(perf, 'MSR_WRITE'), 'entity.name.type.reason.kvmtrace');
});

test('every tracepoint line the parser accepts has its event name scoped', () => {
  for (const name of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'))) {
    const lines = fs.readFileSync(path.join(FIXTURES, name), 'utf8').split('\n');
    for (const ev of parseTraceText(lines.join('\n'))) {
      if (ev.kind === 'unparsed' || ev.kind === 'lost') continue;
      const line = lines[ev.lineNo - 1] ?? '';
      const { tokens } = grammar.tokenizeLine(line, INITIAL);
      const scoped = tokens.some((t) =>
        t.scopes.some((s) => /^(keyword\.control\.event|entity\.name\.function\.event)/.test(s)),
      );
      assert.ok(scoped, `${name}:${ev.lineNo}: ${line}`);
    }
  }
});
