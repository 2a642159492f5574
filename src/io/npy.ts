/**
 * NumPy `.npy` files, so kernels and inputs move to and from numpy / JAX without conversion scripts.
 *
 * Read: format versions 1.0, 2.0 and 3.0; dtypes float64 and float32 (kept as such) and, converted to float64,
 * the integer and bool types people save labels and images in (int8/16/32/64, uint8/16/32/64, bool);
 * little-endian; 1 to 8 dimensions (MAX_NPY_RANK); C order, or Fortran order (`np.asfortranarray`, which
 * `fortran_order: True` marks), transposed on reading so the result is always C order (row-major: the last index
 * varies fastest). At most MAX_NPY_ELEMENTS entries: the toolkit's native code and index arrays are 32-bit.
 * Write: float64 or float32, 1 to 8 dimensions, from { shape, data }, a Mat or nested JS arrays; C order, version 1.0 (2.0 only if the header would not fit),
 * header padded so the data starts on a 64-byte boundary, exactly as `np.save` does.
 *
 * Anything the reader cannot use (not a .npy file, truncated, big-endian, unsupported dtype or dimensionality,
 * too many entries) is a one-line InputError naming the file and saying how to fix it from numpy.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import type { Mat } from '../linalg/matrix.js';
import { InputError, quote } from '../util/errors.js';
import { ioError, writeFileAtomic } from './atomic.js';
import { readCsv, readJsonMatrix } from './text.js';

/**
 * An array read from .npy: `shape` (1 to 8 dimensions) and its entries in C order (row-major: entry
 * (i0, …, ik) is data[((i0·s1 + i1)·s2 + …)·sk + ik]). float32 files stay float32; every other dtype is float64.
 */
export interface NdArray {
  /** Extents, C order. */
  shape: number[];
  /** Entries in C order (float32 files stay float32). */
  data: Float64Array | Float32Array;
  /** Element type of `data`. */
  dtype: 'float64' | 'float32';
}

/** An NdArray known to hold float64 (what the image readers return, whatever dtype the file had). */
export type NdArray64 = NdArray & { data: Float64Array; dtype: 'float64' };

/** What `encodeNpy` / `writeNpy` take: float64 or float32 data in C order with `shape` (1 to 8 dimensions). */
export interface NdArrayLike {
  readonly shape: readonly number[];
  readonly data: Float64Array | Float32Array;
}

/** Nested JS arrays of numbers, rectangular, 1 to 8 levels deep: [[1, 2], [3, 4]] is a 2×2 array. */
export type NestedNumbers = readonly number[] | ReadonlyArray<NestedNumbers>;

/**
 * Everything writeNpy / encodeNpy take: an NdArrayLike ({ shape, data }: a FlowSolution's arrays with their
 * shapes, what readNpy returns), the library's Mat (rows×cols float64, written as a 2-D array), or nested JS
 * arrays (written as float64 with the nesting's shape).
 */
export type NpyWritable = NdArrayLike | Mat | NestedNumbers;

export interface EncodeNpyOptions {
  /** Force a format version. Default: 1.0, or 2.0 when the header is over 65535 bytes (never for ≤ 8-D arrays). */
  version?: 1 | 2;
}

/** What a .npy header says, passed to `ReadNpyOptions.check` before any data is read or allocated. */
export interface NpyHeader {
  /** The shape as stored (for Fortran-order files too: the result has this shape, in C order). */
  shape: readonly number[];
  /** numpy's name for the stored dtype: 'float64', 'float32', 'uint8', 'bool', … */
  dtype: string;
  /** Number of entries (product of the shape). */
  count: number;
  /** Bytes the result will take in memory (8 per entry, or 4 for float32). */
  resultBytes: number;
  /** Stored column-major (numpy's `fortran_order: True`); readNpy transposes it, so this costs a second copy. */
  fortranOrder: boolean;
}

/** Options of `readNpy`: a name for error messages and a header check that can refuse a file before its data is read. */
export interface ReadNpyOptions {
  /** Names the array in error messages, e.g. "X1" → "X1 (path): …". */
  name?: string;
  /**
   * Called with the parsed header before the data is read (and before the file size is checked against it):
   * throw (an InputError) to refuse the file, e.g. for the wrong number of dimensions or too many bytes, without
   * allocating the array first.
   */
  check?: (header: NpyHeader) => void;
}

/** Most dimensions a .npy array may have here (numpy allows 64; nothing in this toolkit needs over 8). */
export const MAX_NPY_RANK = 8;
/** Most entries a .npy array may have here: the native linear algebra and index arrays use 32-bit integers. */
export const MAX_NPY_ELEMENTS = 2 ** 31 - 1;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const MAX_HEADER = 1 << 20; // numpy itself refuses headers over 10000 bytes by default
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Code = 'f8' | 'f4' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';
const ITEMSIZE: Record<Code, number> = { f8: 8, f4: 4, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, b1: 1 };
const DTYPE_NAMES: Record<string, string> = {
  f2: 'float16', f4: 'float32', f8: 'float64', f16: 'longdouble', f12: 'longdouble',
  c8: 'complex64', c16: 'complex128', c32: 'clongdouble',
  i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64', u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', b1: 'bool',
  O: 'object', U: 'unicode string', S: 'bytes', V: 'void/structured', M: 'datetime64', m: 'timedelta64',
};

interface Header {
  code: Code;
  shape: number[];
  count: number;
  nbytes: number;
  fortran: boolean;
}

// ---------------------------------------------------------------------------------------------------- reading

/**
 * Parses the bytes of a .npy file. `name` (default "npy data") prefixes error messages.
 * The returned data never aliases `buf`.
 */
export function parseNpy(buf: Uint8Array, name = 'npy data', opts?: Pick<ReadNpyOptions, 'check'>): NdArray {
  const dataOffset = parsePrelude(buf, name, buf.length);
  const h = parseHeaderDict(buf.subarray(0, dataOffset), name);
  opts?.check?.(headerInfo(h));
  checkSize(h, buf.length - dataOffset, name);
  return decode(buf.subarray(dataOffset, dataOffset + h.nbytes), h, false);
}

function headerInfo(h: Header): NpyHeader {
  const resultBytes = h.count * (h.code === 'f4' ? 4 : 8);
  return { shape: h.shape.slice(), dtype: DTYPE_NAMES[h.code], count: h.count, resultBytes, fortranOrder: h.fortran };
}

/**
 * Reads a .npy file (see the module comment for what is supported), in C order whatever order it was stored in.
 * `opts.name` (e.g. "X1") goes in errors; `opts.check` can refuse the file from its header before any allocation.
 * @param path - the .npy file
 * @param opts - `name` for error messages, `check` to refuse a file from its header
 * @returns the array: shape, dtype name and data in C order (float32 data stays Float32Array; every other dtype becomes Float64Array)
 */
export function readNpy(path: string, opts?: ReadNpyOptions): NdArray {
  const label = opts?.name ? `${opts.name} (${path})` : path;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(e, 'read', path);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputError(`cannot read "${path}": it is a directory`);
    const size = st.size;
    const dataOffset = parsePrelude(readAt(fd, 0, Math.min(size, 12), label), label, size);
    const h = parseHeaderDict(readAt(fd, 0, dataOffset, label), label);
    opts?.check?.(headerInfo(h)); // first: "wrong rank" says more than "truncated" about a file of the wrong kind
    checkSize(h, size - dataOffset, label);
    if (LITTLE_ENDIAN_HOST && (h.code === 'f8' || h.code === 'f4')) {
      // Read straight into the result: no copy, aligned, and no 2 GiB readFileSync limit.
      const data = h.code === 'f8' ? new Float64Array(h.count) : new Float32Array(h.count);
      readInto(fd, new Uint8Array(data.buffer), dataOffset, label);
      return { shape: h.shape, data: h.fortran ? fortranToC(data, h.shape) : data, dtype: h.code === 'f8' ? 'float64' : 'float32' };
    }
    return decode(readAt(fd, dataOffset, h.nbytes, label), h, true);
  } catch (e) {
    throw ioError(e, 'read', path);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a float64 matrix from `.npy` (2-D; 1-D becomes N×1; any supported dtype), `.csv`/`.tsv`/`.txt` (see
 * text.ts) or `.json` (a 2-D array or {"data": [[...]]}), chosen by extension. `opts.name` (e.g. "X1") goes in
 * error messages. NaN/Inf are not rejected here; use assertFinite where they matter.
 * @param path - the file; the extension picks the format
 * @param opts - `name` for error messages
 * @returns rows×cols float64 matrix, row-major
 * @throws InputError for a missing or malformed file, or an array of rank 3 or more
 */
export function readMatrix(path: string, opts?: { name?: string }): Mat {
  const label = opts?.name ? `${opts.name} (${path})` : path;
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.npy':
      return ndToMat(readNpy(path, opts), label);
    case '.csv':
    case '.tsv':
    case '.txt':
      return readCsv(path, opts);
    case '.json':
      return readJsonMatrix(path, opts);
    default:
      throw new InputError(`${label}: unsupported file type "${ext || '(no extension)'}"; use .npy, .csv or .json`);
  }
}

/**
 * A 1-D (→ N×1) or 2-D NdArray as a float64 Mat; anything else is an InputError. Rank 3 and 4 are most likely
 * images (N×H×W×C), so the message says how those are used instead of silently flattening them.
 */
export function ndToMat(a: NdArray, label: string): Mat {
  if (a.shape.length > 2) {
    throw new InputError(
      `${label}: expected a 1-D or 2-D array (points × features), got a ${a.shape.length}-D array of shape ${pyShape(a.shape)}; ` +
        'images (N×H×W×C) need a network that starts with conv or flatten, or flatten in numpy: x.reshape(len(x), -1)',
    );
  }
  const rows = a.shape[0];
  const cols = a.shape.length === 2 ? a.shape[1] : 1;
  const data = a.data instanceof Float64Array ? a.data : Float64Array.from(a.data);
  return { rows, cols, data };
}

/** Checks the magic string and version; returns the data offset (= full header length). */
function parsePrelude(b: Uint8Array, name: string, available: number): number {
  const isMagic = b.length >= 6 && MAGIC.every((m, i) => b[i] === m);
  if (!isMagic) {
    let hint = '';
    if (b.length >= 2 && b[0] === 0x50 && b[1] === 0x4b) hint = '; it looks like a zip archive (.npz): save a single array with np.save';
    else if (b.length === 0) hint = '; the file is empty';
    throw new InputError(`${name}: not a .npy file (it does not start with the \\x93NUMPY magic string)${hint}`);
  }
  if (b.length < 10) throw new InputError(`${name}: truncated .npy file (it ends inside the header)`);
  const major = b[6];
  const minor = b[7];
  if (!(major === 1 || major === 2 || major === 3) || minor !== 0) {
    throw new InputError(`${name}: unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  let start: number;
  let len: number;
  if (major === 1) {
    start = 10;
    len = b[8] | (b[9] << 8);
  } else {
    if (b.length < 12) throw new InputError(`${name}: truncated .npy file (it ends inside the header)`);
    start = 12;
    len = (b[8] | (b[9] << 8) | (b[10] << 16)) + b[11] * 2 ** 24;
  }
  if (len > MAX_HEADER) throw new InputError(`${name}: .npy header is implausibly long (${len} bytes); the file is probably corrupt`);
  if (start + len > available) {
    throw new InputError(`${name}: truncated .npy file (the header needs ${start + len} bytes, the file has ${available})`);
  }
  return start + len;
}

/** Parses the header dict in `b` (the whole header, prelude included). */
function parseHeaderDict(b: Uint8Array, name: string, maxElements = MAX_NPY_ELEMENTS): Header {
  const version = b[6];
  const start = version === 1 ? 10 : 12;
  const text = new TextDecoder(version === 3 ? 'utf-8' : 'latin1').decode(b.subarray(start));
  let dict: PyValue;
  try {
    dict = new PyLiteral(text).parseAll();
  } catch (e) {
    throw new InputError(`${name}: cannot parse the .npy header ${quote(text.trim(), 120)} (${(e as Error).message})`);
  }
  if (!isDict(dict) || !('descr' in dict) || !('fortran_order' in dict) || !('shape' in dict)) {
    throw new InputError(`${name}: the .npy header ${quote(text.trim(), 120)} lacks descr, fortran_order or shape`);
  }
  // numpy accepts exactly these three keys; anything else means the file is not what it claims to be
  const extra = Object.keys(dict).find((key) => key !== 'descr' && key !== 'fortran_order' && key !== 'shape');
  if (extra !== undefined) throw new InputError(`${name}: the .npy header has an unexpected key ${quote(extra, 40)} (numpy writes only descr, fortran_order and shape)`);
  const { descr, fortran_order: fortran, shape } = dict;

  if (typeof descr !== 'string') {
    throw new InputError(`${name}: structured (record) arrays are not supported; save a plain numeric array, e.g. np.save(f, arr.astype(np.float64))`);
  }
  const code = dtypeCode(descr, name);

  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new InputError(`${name}: invalid shape ${JSON.stringify(shape)} in the .npy header`);
  }
  const dims = shape as number[];
  if (dims.length < 1 || dims.length > MAX_NPY_RANK) {
    throw new InputError(
      `${name}: ${dims.length === 0 ? 'a 0-D (scalar) array' : `a ${dims.length}-D array of shape ${dims.length > 12 ? `(${dims.slice(0, 12).join(', ')}, …)` : pyShape(dims)}`} is not supported; ` +
        `need 1 to ${MAX_NPY_RANK} dimensions`,
    );
  }
  if (typeof fortran !== 'boolean') throw new InputError(`${name}: invalid fortran_order ${JSON.stringify(fortran)} in the .npy header`);
  const count = dims.reduce((a, d) => a * d, 1);
  // Refused from the header alone, before the size check or any allocation (a forged header costs nothing).
  if (count > maxElements) {
    throw new InputError(
      `${name}: shape ${pyShape(dims)} has ${count > Number.MAX_SAFE_INTEGER ? count.toExponential(3) : count} entries, ` +
        (maxElements === MAX_NPY_ELEMENTS
          ? `over the limit of ${MAX_NPY_ELEMENTS} (2^31 − 1) per array; split it into smaller files, or read it in blocks of rows (src/io/npyRowBlocks.ts)`
          : `over the limit of ${maxElements} entries`),
    );
  }
  return { code, shape: dims, count, nbytes: count * ITEMSIZE[code], fortran };
}

function dtypeCode(descr: string, name: string): Code {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const typeName = m ? DTYPE_NAMES[m[2] + m[3]] ?? DTYPE_NAMES[m[2]] : undefined;
  const supported = 'float64 (<f8), float32 (<f4), or ints/bool (read as float64)';
  if (!m) throw new InputError(`${name}: unsupported dtype '${descr}'; supported: ${supported}`);
  const [, order, kind, size] = m;
  const code = (kind + size) as Code;
  if (!(code in ITEMSIZE)) {
    throw new InputError(
      `${name}: unsupported dtype '${descr}'${typeName ? ` (${typeName})` : ''}; supported: ${supported}. ` +
        'Convert in numpy, e.g. arr.astype(np.float64)',
    );
  }
  if (ITEMSIZE[code] > 1) {
    if (order === '>') {
      throw new InputError(`${name}: dtype '${descr}' is big-endian, only little-endian is supported; save arr.astype('<${code}') instead`);
    }
    if (order !== '<') {
      throw new InputError(`${name}: dtype '${descr}' has no explicit byte order; save it with np.save, which writes '<${code}'`);
    }
  }
  return code;
}

function checkSize(h: Header, available: number, name: string): void {
  if (available < h.nbytes) {
    const dt = DTYPE_NAMES[h.code];
    throw new InputError(
      `${name}: truncated .npy file: shape ${pyShape(h.shape)} ${dt} needs ${h.nbytes} bytes of data but only ${Math.max(available, 0)} are present`,
    );
  }
}

/**
 * Turns `raw` (exactly nbytes, any alignment) into the result array. `owned`: raw's buffer is ours, so an
 * aligned float64/float32 view can be returned without copying.
 */
function decode(raw: Uint8Array, h: Header, owned: boolean): NdArray {
  const a = decodeStored(raw, h, owned);
  if (!h.fortran) return a;
  // decodeStored made a fresh array unless it viewed an owned buffer; either way transposing into a new one is safe.
  return { ...a, data: fortranToC(a.data, h.shape) };
}

/** The entries in stored order (C or Fortran), as decode describes. */
function decodeStored(raw: Uint8Array, h: Header, owned: boolean): NdArray {
  const { code, count, shape } = h;
  const size = ITEMSIZE[code];
  if (!LITTLE_ENDIAN_HOST) return { shape, ...decodeDataView(raw, code, count) };
  const isAligned = raw.byteOffset % size === 0;
  // new Uint8Array(typedArray) copies into a fresh, offset-0 buffer (Buffer#slice would not copy).
  const src = code === 'f8' || code === 'f4' ? (owned && isAligned ? raw : new Uint8Array(raw)) : isAligned ? raw : new Uint8Array(raw);
  const buf = src.buffer;
  const off = src.byteOffset;
  switch (code) {
    case 'f8':
      return { shape, data: new Float64Array(buf, off, count), dtype: 'float64' };
    case 'f4':
      return { shape, data: new Float32Array(buf, off, count), dtype: 'float32' };
    case 'i8':
    case 'u8': {
      const v = code === 'i8' ? new BigInt64Array(buf, off, count) : new BigUint64Array(buf, off, count);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(v[i]);
      return { shape, data: out, dtype: 'float64' };
    }
    default: {
      const Ctor = { i1: Int8Array, i2: Int16Array, i4: Int32Array, u1: Uint8Array, u2: Uint16Array, u4: Uint32Array, b1: Uint8Array }[code];
      const out = Float64Array.from(new Ctor(buf as ArrayBuffer, off, count));
      if (code === 'b1') for (let i = 0; i < count; i++) out[i] = out[i] !== 0 ? 1 : 0;
      return { shape, data: out, dtype: 'float64' };
    }
  }
}

/**
 * The C-order copy of `src`, which holds an array of `shape` in Fortran order (first index fastest). Walks `src`
 * once with an odometer over the indices, keeping the C-order offset up to date, so any rank costs O(count).
 */
function fortranToC<T extends Float64Array | Float32Array>(src: T, shape: readonly number[]): T {
  const rank = shape.length;
  const count = src.length;
  if (rank < 2 || count === 0) return src; // 1-D (and empty) arrays are the same in both orders
  const dst = (src instanceof Float64Array ? new Float64Array(count) : new Float32Array(count)) as T;
  const cStride = new Array<number>(rank);
  cStride[rank - 1] = 1;
  for (let j = rank - 2; j >= 0; j--) cStride[j] = cStride[j + 1] * shape[j + 1];
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let k = 0; k < count; k++) {
    dst[off] = src[k];
    // advance the Fortran-order index (dimension 0 fastest), carrying into later dimensions
    for (let j = 0; j < rank; j++) {
      off += cStride[j];
      if (++idx[j] < shape[j]) break;
      off -= cStride[j] * shape[j];
      idx[j] = 0;
    }
  }
  return dst;
}

/** Byte-order-independent decoding, used on big-endian hosts. */
function decodeDataView(raw: Uint8Array, code: Code, count: number): Pick<NdArray, 'data' | 'dtype'> {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (code === 'f4') {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true);
    return { data: out, dtype: 'float32' };
  }
  const out = new Float64Array(count);
  const get: (i: number) => number = {
    f8: (i: number) => dv.getFloat64(8 * i, true),
    i1: (i: number) => dv.getInt8(i),
    i2: (i: number) => dv.getInt16(2 * i, true),
    i4: (i: number) => dv.getInt32(4 * i, true),
    i8: (i: number) => Number(dv.getBigInt64(8 * i, true)),
    u1: (i: number) => dv.getUint8(i),
    u2: (i: number) => dv.getUint16(2 * i, true),
    u4: (i: number) => dv.getUint32(4 * i, true),
    u8: (i: number) => Number(dv.getBigUint64(8 * i, true)),
    b1: (i: number) => (dv.getUint8(i) !== 0 ? 1 : 0),
  }[code];
  for (let i = 0; i < count; i++) out[i] = get(i);
  return { data: out, dtype: 'float64' };
}

function readAt(fd: number, position: number, length: number, name: string): Uint8Array {
  const out = new Uint8Array(length);
  readInto(fd, out, position, name);
  return out;
}

function readInto(fd: number, dst: Uint8Array, position: number, name: string): void {
  const CHUNK = 1 << 30; // readSync takes at most 2 GiB − 1 per call
  let done = 0;
  while (done < dst.length) {
    const n = readSync(fd, dst, done, Math.min(CHUNK, dst.length - done), position + done);
    if (n === 0) throw new InputError(`${name}: truncated .npy file (it ended after ${position + done} bytes while reading)`);
    done += n;
  }
}

// ---------------------------------------------------------------------------------------------------- writing

/**
 * `arr` as { shape, data } in C order: an NdArrayLike as is, a Mat as [rows, cols], nested arrays copied to float64.
 * Anything else is a TypeError saying what to pass.
 */
export function toNdArrayLike(arr: NpyWritable): NdArrayLike {
  if (Array.isArray(arr)) return nestedToNd(arr as NestedNumbers);
  const o = arr as Partial<NdArrayLike & Mat> | null;
  if (o !== null && typeof o === 'object') {
    if (o.shape !== undefined) return o as NdArrayLike;
    if (typeof o.rows === 'number' && typeof o.cols === 'number' && o.data !== undefined) {
      if (!(o.data instanceof Float64Array)) throw new TypeError('encodeNpy: a Mat\'s data must be a Float64Array');
      return { shape: [o.rows, o.cols], data: o.data };
    }
  }
  throw new TypeError(
    'encodeNpy: pass a Mat ({ rows, cols, data: Float64Array }), an array with its shape ({ shape: number[], data: Float64Array | Float32Array }, ' +
      'e.g. { shape: sol.fTrainShape, data: sol.fTrain }) or nested arrays of numbers',
  );
}

function nestedToNd(arr: NestedNumbers): NdArrayLike {
  const shape: number[] = [];
  let level: unknown = arr;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (shape.length > MAX_NPY_RANK) throw new RangeError(`encodeNpy: nested arrays deeper than ${MAX_NPY_RANK} levels`);
    level = level[0];
  }
  const count = shape.reduce((a, d) => a * d, 1);
  const data = new Float64Array(count);
  let k = 0;
  const walk = (a: unknown, depth: number, path: string): void => {
    if (!Array.isArray(a) || a.length !== shape[depth]) {
      throw new RangeError(`encodeNpy: nested arrays are not rectangular: ${path || 'the top level'} should be an array of ${shape[depth]} entries (shape ${pyShape(shape)})`);
    }
    for (let i = 0; i < a.length; i++) {
      const v: unknown = a[i];
      if (depth === shape.length - 1) {
        if (typeof v !== 'number') throw new TypeError(`encodeNpy: entry ${path}[${i}] is ${Array.isArray(v) ? 'an array' : typeof v}, not a number (nested arrays are not rectangular)`);
        data[k++] = v;
      } else {
        walk(v, depth + 1, `${path}[${i}]`);
      }
    }
  };
  if (count > 0) walk(arr, 0, '');
  return { shape, data };
}

/**
 * The bytes of a .npy file holding `arr` (a Mat, { shape, data } or nested arrays; see NpyWritable): dtype '<f8'
 * for float64 data and nested arrays, '<f4' for Float32Array.
 */
export function encodeNpy(arr: NpyWritable, opts?: EncodeNpyOptions): Uint8Array {
  const [header, data] = npyParts(arr, opts);
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

/**
 * Writes `arr` (a Mat, { shape, data } or nested arrays; see NpyWritable) as a .npy file that np.load reads with
 * the same shape, atomically (temp file in the same directory, fsync, rename).
 * @param path - the file to write (replaced atomically)
 * @param arr - a Mat, `{shape, data}` (Float64Array or Float32Array in C order) or nested arrays
 * @param opts - encoding options
 */
export function writeNpy(path: string, arr: NpyWritable, opts?: EncodeNpyOptions): void {
  writeFileAtomic(path, npyParts(arr, opts));
}

function npyParts(arr: NpyWritable, opts?: EncodeNpyOptions): [Uint8Array, Uint8Array] {
  const { shape, data } = toNdArrayLike(arr);
  let code: 'f8' | 'f4';
  if (data instanceof Float64Array) code = 'f8';
  else if (data instanceof Float32Array) code = 'f4';
  else throw new TypeError('encodeNpy: data must be a Float64Array or Float32Array');
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > MAX_NPY_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`encodeNpy: shape must be 1 to ${MAX_NPY_RANK} non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const count = shape.reduce((a, d) => a * d, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape ${pyShape(shape)} has ${count} entries but data has ${data.length}`);

  const header = npyHeaderBytes(shape, code === 'f8' ? 'float64' : 'float32', opts);

  let bytes: Uint8Array;
  if (LITTLE_ENDIAN_HOST) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    bytes = new Uint8Array(data.byteLength);
    const dv = new DataView(bytes.buffer);
    if (code === 'f8') for (let i = 0; i < data.length; i++) dv.setFloat64(8 * i, data[i], true);
    else for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  }
  return [header, bytes];
}

/**
 * The header of a C-order float64 or float32 .npy file of `shape` (magic, version, padded dict), exactly as
 * encodeNpy writes it: the data starts right after it, on a 64-byte boundary. Lets a writer lay out a file whose
 * data it fills in later (src/kernels/outOfCoreKernel.ts); the shape may hold more than MAX_NPY_ELEMENTS entries.
 */
export function npyHeaderBytes(shape: readonly number[], dtype: 'float64' | 'float32', opts?: EncodeNpyOptions): Uint8Array {
  const code = dtype === 'float64' ? 'f8' : 'f4';
  const dict = `{'descr': '<${code}', 'fortran_order': False, 'shape': ${pyShape(shape)}, }`;
  const padded = (prefix: number): string => {
    const total = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN;
    return dict + ' '.repeat(total - prefix - dict.length - 1) + '\n';
  };
  let version = opts?.version ?? 1;
  let text = padded(version === 1 ? 10 : 12);
  if (version === 1 && text.length > 0xffff) {
    version = 2;
    text = padded(12);
  }
  const prefix = version === 1 ? 10 : 12;
  const header = new Uint8Array(prefix + text.length);
  header.set(MAGIC, 0);
  header[6] = version;
  header[7] = 0;
  const len = text.length;
  header[8] = len & 0xff;
  header[9] = (len >>> 8) & 0xff;
  if (version === 2) {
    header[10] = (len >>> 16) & 0xff;
    header[11] = (len >>> 24) & 0xff;
  }
  for (let i = 0; i < text.length; i++) header[prefix + i] = text.charCodeAt(i);
  return header;
}

/** Where a .npy file's data lies and what it holds, from its header alone (see readNpyLayout). */
export interface NpyLayout {
  /** The shape as stored. */
  shape: number[];
  /** 'float64' or 'float32' (the only dtypes a streaming reader serves). */
  dtype: 'float64' | 'float32';
  /** Byte offset of the first entry. */
  dataOffset: number;
  /** Bytes per entry (8 or 4). */
  itemSize: number;
  /** Stored column-major (numpy's fortran_order: True). */
  fortranOrder: boolean;
}

/**
 * Reads and checks the header of the .npy file open as `fd` (size `fileSize`), for readers that stream its data
 * instead of loading it: no MAX_NPY_ELEMENTS limit (the array is never held whole), but the file must be long
 * enough for its shape and the dtype float64 or float32 (anything else is a one-line InputError naming `label`).
 */
export function readNpyLayout(fd: number, fileSize: number, label: string): NpyLayout {
  const dataOffset = parsePrelude(readAt(fd, 0, Math.min(fileSize, 12), label), label, fileSize);
  const h = parseHeaderDict(readAt(fd, 0, dataOffset, label), label, Number.MAX_SAFE_INTEGER);
  if (h.code !== 'f8' && h.code !== 'f4') {
    throw new InputError(`${label}: dtype ${DTYPE_NAMES[h.code]} cannot be read in blocks of rows; save it as float64 or float32, e.g. arr.astype(np.float64)`);
  }
  checkSize(h, fileSize - dataOffset, label);
  return { shape: h.shape, dtype: h.code === 'f8' ? 'float64' : 'float32', dataOffset, itemSize: ITEMSIZE[h.code], fortranOrder: h.fortran };
}

/** Reads exactly dst.length bytes of the open file `fd` from `position` (positioned reads; a short file is an InputError naming `label`). */
export function readBytesAt(fd: number, dst: Uint8Array, position: number, label: string): void {
  readInto(fd, dst, position, label);
}

/** Python's repr of a shape tuple, (3,) or (2, 3), as numpy prints shapes; used in error messages. */
export function pyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

// ------------------------------------------------------------------------------ the header's Python literal

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

function isDict(v: PyValue): v is { [key: string]: PyValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses the subset of Python literals numpy writes in headers: dicts, tuples, lists, str, int, bool, None. */
class PyLiteral {
  private pos = 0;
  constructor(private readonly s: string) {}

  parseAll(): PyValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.s.length) throw new Error(`unexpected ${JSON.stringify(this.s[this.pos])} at offset ${this.pos}`);
    return v;
  }

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.s[this.pos];
    if (c === '{') return this.dict();
    if (c === '(') return this.seq(')');
    if (c === '[') return this.seq(']');
    if (c === "'" || c === '"') return this.str();
    const m = /^(?:[+-]?\d+L?|True|False|None)/.exec(this.s.slice(this.pos, this.pos + 32));
    if (!m) throw new Error(`unexpected ${c === undefined ? 'end of header' : JSON.stringify(c)} at offset ${this.pos}`);
    this.pos += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  }

  private str(): string {
    const q = this.s[this.pos++];
    let out = '';
    while (this.pos < this.s.length && this.s[this.pos] !== q) {
      if (this.s[this.pos] === '\\') this.pos++;
      out += this.s[this.pos++];
    }
    if (this.s[this.pos] !== q) throw new Error('unterminated string');
    this.pos++;
    return out;
  }

  private seq(close: string): PyValue[] {
    this.pos++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.pos] === close) {
        this.pos++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== close) throw new Error(`expected "," or "${close}" at offset ${this.pos}`);
    }
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    const out: { [key: string]: PyValue } = Object.create(null) as { [key: string]: PyValue };
    for (;;) {
      this.ws();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const k = this.value();
      if (typeof k !== 'string') throw new Error('dict keys must be strings');
      this.ws();
      if (this.s[this.pos++] !== ':') throw new Error(`expected ":" at offset ${this.pos - 1}`);
      out[k] = this.value();
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') throw new Error(`expected "," or "}" at offset ${this.pos}`);
    }
  }
}
