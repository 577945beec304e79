/** Types of tool-runner.mjs (plain JavaScript so that scripts/web-server.mjs can import it). */
export interface ToolResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  failed: boolean;
  message: string;
}
export interface ToolRunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxBuffer?: number;
}
export interface ToolRunner {
  readonly pid: number | null;
  run(file: string, args: string[], options?: ToolRunOptions): Promise<ToolResult>;
  stop(): void;
}
export declare const TOOL_RUNNER: unique symbol;
export declare function startToolRunner(): ToolRunner;
