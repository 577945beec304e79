/**
 * A finished tool run (an execa result with `reject: false`) as the plain object both the tool helper
 * (tool-helper.mjs, plain JavaScript) and runTool (lib/video/ffmpeg.ts) hand back.
 *
 * @param {{ exitCode?: number, signal?: string, stdout?: unknown, stderr?: unknown, timedOut?: boolean, failed?: boolean, shortMessage?: string, message?: string }} r
 * @returns {import('./tool-runner.mjs').ToolResult}
 */
export function toToolResult(r) {
  return {
    exitCode: r.exitCode ?? null,
    signal: r.signal ?? null,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: Boolean(r.timedOut),
    failed: Boolean(r.failed),
    message: r.failed ? String(r.shortMessage ?? r.message ?? '') : '',
  };
}
