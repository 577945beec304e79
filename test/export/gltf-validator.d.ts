/** The part of the Khronos validator's API the export tests use (npm gltf-validator ships no types). */
declare module 'gltf-validator' {
  export interface ValidationMessage {
    code: string;
    message: string;
    /** 0 error, 1 warning, 2 information, 3 hint */
    severity: number;
    pointer?: string;
  }
  export interface ValidationReport {
    issues: { numErrors: number; numWarnings: number; numInfos: number; numHints: number; messages: ValidationMessage[] };
    info: Record<string, unknown> & { animationCount?: number; hasSkins?: boolean; hasDefaultScene?: boolean; drawCallCount?: number; totalVertexCount?: number; maxInfluences?: number };
  }
  export function validateBytes(data: Uint8Array, options?: Record<string, unknown>): Promise<ValidationReport>;
  export function version(): string;
}
