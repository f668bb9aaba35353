/**
 * VM-exit traces as statistics: KVM's tracepoints (ftrace text, `trace-cmd report`, `perf script`)
 * parsed in a streaming fashion, exits paired with entries, and reported as `perf kvm stat` does.
 */
export * from './events';
export * from './reasons';
export { decodeExitInfo, decodeInterruptionInfo, type ExitInfo, type InterruptionInfo } from './decode';
export {
  TraceParser,
  parseTraceStream,
  parseTraceText,
  type ParseCounts,
  type ParserOptions,
} from './parser';
export { aggregate, aggregateStream, aggregateText, StatsBuilder, type StreamOptions } from './aggregate';
export type { AggregateOptions } from './aggregator';
export type { KvmStats, ReasonStats, VcpuStats, RipStats, Diagnostics } from './kvmStats';
export { formatPerfKvmStat, cFixed, type PerfFormatOptions } from './format';
