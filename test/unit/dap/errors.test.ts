/** The error boundary's blame: what the guest or a stale client view causes is never an internal error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blameOf, userMessage } from '../../../adapter/dap/errors';
import { StaleReferenceError } from '../../../adapter/debugger/stale';
import { UserInputError } from '../../../adapter/debugger/userInputError';
import { HypercallRequestError } from '../../../adapter/hypercalls/session';
import { StubLinkError, TargetRunningError } from '../../../adapter/target/rsp/relay';
import { PhysicalMemoryError } from '../../../adapter/x86/paging/memory';

test('stale references, a running guest, a lost stub link and unreadable memory are the target’s', () => {
  for (const error of [
    new StaleReferenceError('variable'),
    new StaleReferenceError('stack frame'),
    new TargetRunningError(),
    new StubLinkError('the gdbstub closed the connection'),
    new PhysicalMemoryError('physical 0xfee00000: not RAM', 0xfee00000n, 'outside-memory'),
  ]) {
    assert.equal(blameOf(error), 'target', error.name);
    assert.doesNotMatch(userMessage(error), /internal error/);
  }
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
