// gdb-js ships no type declarations; hvdbg only uses the constructor, through adapter/gdb/gdbjs.ts.
declare module 'gdb-js' {
  export class GDB {
    constructor(childProcess: unknown);
  }
}
declare module 'regenerator-runtime' {
  const runtime: unknown;
  export default runtime;
}
