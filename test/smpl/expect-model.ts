import { expect } from 'vitest';

/**
 * Field-by-field identity of two models (typed arrays compared as bytes, with their types):
 * vitest's deep equality walks 4 million posedirs values one by one and takes minutes.
 */
export function expectSameModel(actual: object, expected: object, where = 'model'): void {
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  expect(Object.keys(a).sort(), `${where} keys`).toEqual(Object.keys(e).sort());
  for (const key of Object.keys(e)) {
    const x = a[key];
    const y = e[key];
    if (ArrayBuffer.isView(y)) {
      expect(x?.constructor, `${where}.${key} type`).toBe(y.constructor);
      const xb = Buffer.from((x as ArrayBufferView).buffer, (x as ArrayBufferView).byteOffset, (x as ArrayBufferView).byteLength);
      const yb = Buffer.from(y.buffer, y.byteOffset, y.byteLength);
      expect(xb.equals(yb), `${where}.${key} content`).toBe(true);
    } else if (y !== null && typeof y === 'object') {
      expectSameModel(x as object, y, `${where}.${key}`);
    } else {
      expect(x, `${where}.${key}`).toBe(y);
    }
  }
}
