// Types of dcgan.js (the module web apps import; see its header and the README, "In the
// browser"). Shapes: a latent row is LATENT_DIM values, an image PIXELS values in [-1,1].

export declare const LATENT_DIM: 100;
export declare const SIDE: 28;
export declare const PIXELS: 784;
/** Black pixels around and between tiles of a grid. */
export declare const GRID_PAD: 2;
export declare const MAX_N: 100;
export declare const MAX_SCALE: 8;
export declare const NUM_CLASSES: 10;
/** Rows per model run. */
export declare const BATCH: 256;
export declare const MASK64: bigint;

/** An unsigned 64-bit seed from a BigInt, a safe integer or a decimal string; throws otherwise. */
export declare function parseSeed(value: bigint | number | string): bigint;
/** SplitMix64 seeded with `seed`: each call gives the next 64-bit output. */
export declare function splitmix64(seed: bigint | number | string): () => bigint;
/** The latents `infer --seed seed -n n` feeds the model: z [n, dim]. */
export declare function latents(seed: bigint | number | string, n: number, dim?: number): Float32Array;
/** A random seed below 10⁶. */
export declare function randomSeed(): bigint;
/** Row-wise interpolation from `a` (t = 0) to `b` (t = 1), both n·dim values. */
export declare function interpolate(
  a: Float32Array, b: Float32Array, t: number, mode?: 'slerp' | 'lerp', dim?: number,
): Float32Array;
/** Spherical interpolation of two single vectors. */
export declare function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array;
/** Linear interpolation of two single vectors. */
export declare function lerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array;
/** Columns of a near-square grid for n images. */
export declare function nearSquareCols(n: number): number;
export interface GridLayout { cols: number; rows: number; step: number; width: number; height: number }
/** Size of a grid of n tiles of 28·scale pixels in `cols` columns. */
export declare function gridLayout(n: number, cols: number, scale: number): GridLayout;
/** A value in [-1,1] as a grey level 0–255. */
export declare function toGray(v: number): number;
/** RGBA pixels of n images in `cols` columns at `scale`: `infer`'s grid PNG, pixel for pixel. */
export declare function gridPixels(
  values: Float32Array, n: number, cols: number, scale: number,
): GridLayout & { data: Uint8ClampedArray };
export interface OnnxMetadata {
  irVersion: number | null;
  producerName: string;
  producerVersion: string;
  props: Record<string, string>;
}
/** What an ONNX file says about itself. */
export declare function onnxMetadata(bytes: Uint8Array): OnnxMetadata;
/** Labels of n rows: all `digit`, or row i → i mod 10 when digit is null. */
export declare function labelsFor(n: number, digit?: number | null): BigInt64Array;
/** The 0–9 grid of `infer --digits all -n perRow`. */
export declare function digitsAll(perRow: number): { count: number; cols: number; labels: BigInt64Array };

/** gen.onnx running in onnxruntime-web. */
export declare class Model {
  readonly conditional: boolean;
  readonly meta: OnnxMetadata;
  /** Images [n,1,28,28] for latents z [n,100] and, for a conditional model, one label per row. */
  run(z: Float32Array, labels?: BigInt64Array | null): Promise<Float32Array>;
  /** The images of `infer --seed seed -n n` (with `--digit digit` for a conditional model). */
  generate(seed: bigint | number | string, n: number, digit?: number | null): Promise<Float32Array>;
}
/** WASM threads onnxruntime-web may use on this page. */
export declare function wasmThreads(): number;
/** Load gen.onnx from `modelUrl` with the onnxruntime-web module at `ortUrl`. */
export declare function loadModel(modelUrl: string, ortUrl: string): Promise<Model>;
