/** Types of security-headers.mjs (plain JavaScript so that next.config.mjs can import it). */
export interface HeaderEntry {
  key: string;
  value: string;
}
export declare const EVERY_RESPONSE: HeaderEntry[];
export declare const DATA_RESPONSE: HeaderEntry[];
