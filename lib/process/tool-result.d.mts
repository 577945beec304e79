/** Types of tool-result.mjs. */
import type { ToolResult } from './tool-runner.mjs';
export declare function toToolResult(r: {
  exitCode?: number;
  signal?: string;
  stdout?: unknown;
  stderr?: unknown;
  timedOut?: boolean;
  failed?: boolean;
  shortMessage?: string;
  message?: string;
}): ToolResult;
