/**
 * The byte reader we hand to pickleparser's Parser.read(). It is where we hook pickleparser without
 * forking it.
 *
 * Why a reader and not a fork: pickleparser 0.2.1 (pinned) runs one big opcode loop that calls
 * `reader.hasNext()` and then `reader.byte()` for every opcode, and resolves every global through our
 * name resolver. By seeing each opcode first, the reader can fix the few things pickleparser gets
 * wrong or cannot express, by handing the parser a different, equivalent opcode (and, for GLOBAL, the
 * two "lines" it reads), all through public behaviour:
 * - LONG1/LONG4: pickleparser reads them unsigned (large negative ints come out wrong). We decode the
 *   two's-complement value ourselves and hand the parser a GLOBAL whose module is a per-read secret
 *   (`nonce`); the resolver answers with the decoded value, which the parser pushes.
 * - TUPLE/TUPLE1/2/3/EMPTY_TUPLE: pickleparser builds tuples as plain Arrays like lists. After the
 *   real opcode we inject GLOBAL(nonce, 'tuple') + BUILD: BUILD copies the TUPLE symbol onto the array.
 * - DICT ('d', protocols 0/1) ignores the Map dictionary provider: we replace it by
 *   GLOBAL(nonce, 'dict') + OBJ, which calls our Map builder with the marked items.
 * - BINSTRING/SHORT_BINSTRING (Python 2 str): pickleparser decodes them with TextDecoder('ascii'),
 *   which is windows-1252 in WHATWG terms; we decode latin1 like Python's encoding='latin1'.
 * - joblib's NumpyArrayWrapper BUILD reads the array bytes that follow it inline (`rawBytes`).
 * Everything else (memo, stack, marks, frames, protocol 2..5 opcodes) stays pickleparser's.
 */
import { BufferReader } from 'pickleparser';
import { latin1String } from './numpy';
import { PickleError } from './types';

const OP = {
  GLOBAL: 99,
  BUILD: 98,
  OBJ: 111,
  DICT: 100,
  LONG1: 138,
  LONG4: 139,
  TUPLE: 116,
  TUPLE1: 133,
  TUPLE2: 134,
  TUPLE3: 135,
  EMPTY_TUPLE: 41,
} as const;

export class HookedReader extends BufferReader {
  /** Module name of injected GLOBALs. Random per read, so a pickle cannot forge it. */
  readonly nonce = `\u0000hook-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  /** Value the resolver returns for the injected GLOBAL of a LONG1/LONG4. */
  pendingLong: number | bigint = 0;
  /** Position and value of the last real opcode, for error messages. */
  opcodePosition = 0;
  opcode = -1;

  private readonly injectedOps: number[] = [];
  private readonly injectedLines: string[] = [];
  private atOpcode = false;

  constructor(private readonly source: Uint8Array) {
    super(source);
  }

  override hasNext(): boolean {
    // pickleparser calls hasNext() exactly once before reading each opcode.
    this.atOpcode = true;
    return this.injectedOps.length > 0 || super.hasNext();
  }

  override byte(): number {
    if (!this.atOpcode) return super.byte();
    this.atOpcode = false;
    if (this.injectedOps.length > 0) return this.injectedOps.shift()!;
    this.opcodePosition = this.position;
    const op = super.byte();
    this.opcode = op;
    return this.rewrite(op);
  }

  override line(): string {
    if (this.injectedLines.length > 0) return this.injectedLines.shift()!;
    return super.line();
  }

  override string(size: number, encoding: 'ascii' | 'utf-8'): string {
    if (encoding === 'utf-8') return super.string(size, encoding);
    // 'ascii' is used for Python 2 str (BINSTRING/SHORT_BINSTRING) and text lines: latin1 for both.
    return latin1String(this.bytes(size) as Uint8Array);
  }

  override uint64(): number {
    const lo = this.uint32();
    const hi = this.uint32();
    const n = lo + hi * 2 ** 32;
    if (!Number.isSafeInteger(n) || n > this.length) {
      throw new PickleError(`length ${n} at byte ${this.position - 8} runs past the end of the data`);
    }
    return n;
  }

  /** Raw bytes that follow an opcode (joblib's inline array data). A view: copy what you keep. */
  rawBytes(n: number): Uint8Array {
    if (n > this.length - this.position) {
      throw new PickleError(
        `array data needs ${n} bytes at byte ${this.position} but only ${this.length - this.position} remain (truncated file?)`,
      );
    }
    return this.bytes(n) as Uint8Array;
  }

  private inject(name: string, ...ops: number[]): number {
    this.injectedLines.push(this.nonce, name);
    this.injectedOps.push(...ops);
    return OP.GLOBAL;
  }

  private rewrite(op: number): number {
    switch (op) {
      case OP.LONG1:
      case OP.LONG4: {
        const n = op === OP.LONG1 ? super.byte() : this.int32();
        if (n < 0) throw new PickleError(`negative LONG4 length at byte ${this.opcodePosition}`);
        if (n > this.length - this.position) throw new PickleError(`LONG of ${n} bytes runs past the end of the data`);
        this.pendingLong = decodeLong(this.bytes(n) as Uint8Array);
        return this.inject('long');
      }
      case OP.TUPLE:
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3:
      case OP.EMPTY_TUPLE:
        // the real opcode builds the Array; then GLOBAL(nonce,'tuple') pushes the mark and BUILD applies it
        this.injectedOps.push(OP.GLOBAL, OP.BUILD);
        this.injectedLines.push(this.nonce, 'tuple');
        return op;
      case OP.DICT:
        return this.inject('dict', OP.OBJ);
      default:
        return op;
    }
  }
}

/** Python's LONG1/LONG4 payload: little-endian two's complement of any length. */
export function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  if (bytes.length <= 6) {
    let v = 0;
    for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i];
    if (bytes[bytes.length - 1] & 0x80) v -= 2 ** (8 * bytes.length);
    return v;
  }
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
