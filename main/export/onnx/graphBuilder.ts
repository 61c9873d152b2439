/**
 * A small ONNX graph builder: named initializers, nodes and typed graph inputs/outputs, serialised with the
 * generated protobuf code of `onnx-proto` (onnx.proto v1.10 schema, which already has every field IR 8 uses).
 *
 * Names are made unique by the builder, so graph code can ask for "ln" many times and get ln, ln_1, ln_2...
 * Weights go into `raw_data` (little-endian bytes), the form every runtime reads fastest.
 */
import onnxPkg from 'onnx-proto';

const { onnx } = onnxPkg;

/** ONNX opset and IR version written by every export: LayerNormalization needs opset 17, IR 8 goes with it. */
export const OPSET = 17;
export const IR_VERSION = 8;

export type AttrValue = number | number[] | string | { ints: number[] } | { float: number } | { int: number };

/** A dimension: a fixed size, or a symbolic name (e.g. 'batch') for a dynamic one. */
export type Dim = number | string;

export class GraphBuilder {
  private readonly nodes: onnxPkg.onnx.INodeProto[] = [];
  private readonly initializers: onnxPkg.onnx.ITensorProto[] = [];
  private readonly inputs: onnxPkg.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxPkg.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly scalarCache = new Map<string, string>();

  constructor(readonly graphName: string) {}

  /** A fresh tensor name based on `base`. */
  name(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  input(name: string, elemType: 'float' | 'int64', dims: Dim[]): string {
    const n = this.name(name);
    this.inputs.push(valueInfo(n, elemType, dims));
    return n;
  }

  /** Declare `tensor` (an existing value) as a graph output; an Identity gives it the public name. */
  output(tensor: string, name: string, elemType: 'float' | 'int64', dims: Dim[]): string {
    const n = this.name(name);
    this.node('Identity', [tensor], {}, n);
    this.outputs.push(valueInfo(n, elemType, dims));
    return n;
  }

  floatInit(base: string, dims: number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new Error(`ONNX initializer ${base}: shape [${dims.join(',')}] needs ${size} values, got ${data.length}`);
    }
    const n = this.name(base);
    this.initializers.push({
      name: n,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return n;
  }

  int64Init(base: string, dims: number[], values: readonly number[]): string {
    const n = this.name(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name: n,
      dims,
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return n;
  }

  /** A 1-D int64 constant (shapes, axes, perms given as inputs). */
  ints(base: string, values: readonly number[]): string {
    return this.int64Init(base, [values.length], values);
  }

  /** A float scalar constant, shared between uses of the same value. */
  scalar(value: number): string {
    const key = String(value);
    const hit = this.scalarCache.get(key);
    if (hit) return hit;
    const n = this.floatInit('const', [], Float32Array.of(value));
    this.scalarCache.set(key, n);
    return n;
  }

  /** Add a node; returns its (single) output name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const output = out ?? this.name(op.toLowerCase());
    this.nodes.push({
      opType: op,
      name: this.name(`${op}_node`),
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** Serialise the model. */
  toBytes(opts: { docString: string; metadata: Record<string, string> }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'crate-lab',
      producerVersion: '0.1.0',
      docString: opts.docString,
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Parse a serialised model back (tests and `inspect`-style readers). */
export function decodeModel(bytes: Uint8Array): onnxPkg.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

function valueInfo(name: string, elemType: 'float' | 'int64', dims: Dim[]): onnxPkg.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemType === 'float' ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnxPkg.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  }
  if ('ints' in v) return { name, type: T.INTS, ints: v.ints };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.INT, i: v.int };
}
