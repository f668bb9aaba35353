/** A promise whose value, once it has one, can be read without awaiting (a stop's analysis, asked often). */
export interface Settled<T> {
  readonly promise: Promise<T>;
  value?: T;
}

export function settle<T>(promise: Promise<T>): Settled<T> {
  const s: Settled<T> = { promise };
  promise.then(
    (v) => (s.value = v),
    () => undefined,
  );
  return s;
}
