/**
 * The user typed something hvdbg cannot take: a Debug Console command with wrong arguments, a custom
 * request with missing or mistyped fields. The message says what is accepted; it is shown as is, never
 * as an internal error.
 */
export class UserInputError extends Error {
  override name = 'UserInputError';
}
