// Types for the soak harness, so the TypeScript test can import it.
export interface SoakReport {
  seed: number;
  seconds: number;
  faults: Record<string, number>;
  migrations: number;
  downtime: { p50: number; p95: number; max: number };
  sent: number;
  expected: number;
  received: number;
  lost: number;
  toSent: number;
  toLost: number;
  requests: number;
  answered: number;
  unanswered: Record<string, number>;
  handlerRuns: number;
  sharedDiverged: string[];
  duplicatedOrReordered: number;
  violations: string[];
  longestSplitMs: number;
  reconnected: boolean;
  reconnectMs: number;
  settled: boolean;
  delivered: boolean;
  stuck: string[];
  errors: Record<string, number>;
  heapGrowthBytes: number | undefined;
  handleGrowth: number;
  maxNodeRssBytes: number;
}
export function runSoak(options?: { seconds?: number; seed?: number; nodes?: number; sessions?: number; perSession?: number; sendEveryMs?: number; log?: (line: string) => void }): Promise<SoakReport>;
export function reportMarkdown(report: SoakReport): string;
