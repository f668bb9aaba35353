/** The error boundary's blame: what the guest or a stale client view causes is never an internal error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerFailure, blameOf, ERROR_IDS, userMessage } from '../../../adapter/dap/errors';
import { GdbCommandError } from '../../../adapter/gdb/errors';
import { StaleReferenceError } from '../../../adapter/debugger/stale';
import { UserInputError } from '../../../adapter/debugger/userInputError';
import { HypercallRequestError } from '../../../adapter/hypercalls/session';
import { StubLinkError, TargetRunningError } from '../../../adapter/target/rsp/relay';
import { PhysicalMemoryError } from '../../../adapter/x86/paging/memory';

test('a running guest, a lost stub link and unreadable memory are the target’s', () => {
  for (const error of [
    new TargetRunningError(),
    new StubLinkError('the gdbstub closed the connection'),
    new PhysicalMemoryError('physical 0xfee00000: not RAM', 0xfee00000n, 'outside-memory'),
  ]) {
    assert.equal(blameOf(error), 'target', error.name);
    assert.doesNotMatch(userMessage(error), /internal error/);
  }
  for (const error of [new StaleReferenceError('variable'), new StaleReferenceError('stack frame')])
    assert.equal(blameOf(error), 'stale', 'a reference from an earlier stop is nobody’s error');
  assert.equal(
    userMessage(new StaleReferenceError('variable')),
    'this variable is from an earlier stop; the guest has run since',
  );
  assert.equal(blameOf(new TypeError('x is undefined')), 'internal');
});

test("wrong console arguments and request fields are the user's, shown as they are", () => {
  const usage = new UserInputError('usage: hv translate ADDRESS [cr3=0x...] [root=ID] [thread=N]');
  assert.equal(blameOf(usage), 'user');
  assert.equal(userMessage(usage), usage.message);
  assert.equal(blameOf(new HypercallRequestError('"breakpoints" must be an array')), 'user');
});

test('each blame has its own DAP error id; stale view refreshes are answered quietly', () => {
  assert.equal(new Set(Object.values(ERROR_IDS)).size, 4);
  const stale = new StaleReferenceError('variable');
  // VS Code re-asking for the variables of a stop that is gone: an empty answer, no toast.
  assert.deepEqual(answerFailure('variables', stale, true, false), { kind: 'body', body: { variables: [] } });
  assert.deepEqual(
    answerFailure(
      'stackTrace',
      new GdbCommandError('-stack-list-frames', 'Selected thread is running.'),
      true,
      true,
    ),
    {
      kind: 'body',
      body: { stackFrames: [], totalFrames: 0 },
    },
  );
  // A hover while the guest runs: an error the client keeps to itself.
  const hover = answerFailure(
    'evaluate',
    new GdbCommandError('-var-create', 'Selected thread is running.'),
    true,
    true,
  );
  assert.deepEqual(hover, {
    kind: 'error',
    id: ERROR_IDS.stale,
    message: 'Selected thread is running.',
    showUser: false,
  });
  // Typed by the user, or failing while the guest is stopped: loud, with the blame's id.
  const typed = answerFailure(
    'evaluate',
    new GdbCommandError('x', 'No symbol "foo" in current context.'),
    false,
    true,
  );
  assert.equal(typed.kind === 'error' && typed.showUser && typed.id, ERROR_IDS.target);
  const real = answerFailure(
    'stackTrace',
    new GdbCommandError('x', 'Cannot access memory at address 0x0'),
    true,
    false,
  );
  assert.equal(real.kind === 'error' && real.showUser, true);
  const bug = answerFailure('variables', new TypeError('x is undefined'), true, true);
  assert.equal(bug.kind === 'error' && bug.showUser && bug.id, ERROR_IDS.internal);
  const user = answerFailure('evaluate', new UserInputError('usage: hv translate ADDRESS'), false, false);
  assert.equal(user.kind === 'error' && user.id, ERROR_IDS.user);
});
