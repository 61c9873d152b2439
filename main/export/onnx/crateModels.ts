/**
 * The three exported ONNX models. Inputs and outputs have a dynamic batch dimension named 'batch'.
 *   encoder:    image (batch, C, H, W) float32 in [-1, 1] → z (batch, F), unit rows
 *   decoder:    z (batch, F) → image (batch, C, H, W) in (-1, 1)
 *   classifier: image (batch, C, H, W) → residuals (batch, k) float32, label (batch) int64 class index
 */
import { GraphBuilder } from './graphBuilder';
import { decoderGraph, encoderGraph } from './crateBlocks';
import { subspaceHeadGraph, type SubspaceHead } from './subspaceHead';
import type { CrateShapeConfig, HostWeights } from '../hostWeights';

/** What every export carries in metadata_props (values are strings; structured ones are JSON). */
export interface ExportMetadata {
  classNames: string[];
  preset: string;
  config: CrateShapeConfig;
  summary: Record<string, unknown>;
}

export const PREPROCESSING_NOTE = 'float32 NCHW, each pixel scaled to [-1, 1] (uint8/255*2-1), resized to H×W with C channels';

export function metadataProps(meta: ExportMetadata, model: string, extra: Record<string, string> = {}): Record<string, string> {
  const [c, h, w] = meta.config.imageShape;
  return {
    'crate_lab.model': model,
    'crate_lab.format_version': '1',
    class_names: JSON.stringify(meta.classNames),
    preset: meta.preset,
    preprocessing: JSON.stringify({ layout: 'NCHW', channels: c, height: h, width: w, valueRange: [-1, 1], note: PREPROCESSING_NOTE }),
    config: JSON.stringify(meta.config),
    training_summary: JSON.stringify(meta.summary),
    ...extra,
  };
}

export function buildEncoderOnnx(w: HostWeights, meta: ExportMetadata): Uint8Array {
  const cfg = meta.config;
  const g = new GraphBuilder('crate_encoder');
  const image = g.input('image', 'float', ['batch', ...cfg.imageShape]);
  g.output(encoderGraph(g, w, cfg, image), 'z', 'float', ['batch', cfg.featureDim]);
  return g.toBytes({ docString: 'CRATE encoder f: image → unit feature z', metadata: metadataProps(meta, 'encoder') });
}

export function buildDecoderOnnx(w: HostWeights, meta: ExportMetadata): Uint8Array {
  const cfg = meta.config;
  const g = new GraphBuilder('crate_decoder');
  const z = g.input('z', 'float', ['batch', cfg.featureDim]);
  g.output(decoderGraph(g, w, cfg, z), 'image', 'float', ['batch', ...cfg.imageShape]);
  return g.toBytes({ docString: 'CRATE decoder g: feature z → image', metadata: metadataProps(meta, 'decoder') });
}

export function buildClassifierOnnx(w: HostWeights, head: SubspaceHead, meta: ExportMetadata): Uint8Array {
  const cfg = meta.config;
  if (head.featureDim !== cfg.featureDim) {
    throw new Error(`classifier feature dim ${head.featureDim} does not match the encoder's ${cfg.featureDim}`);
  }
  const g = new GraphBuilder('crate_classifier');
  const image = g.input('image', 'float', ['batch', ...cfg.imageShape]);
  const { residuals, label } = subspaceHeadGraph(g, head, encoderGraph(g, w, cfg, image));
  g.output(residuals, 'residuals', 'float', ['batch', head.classes.length]);
  g.output(label, 'label', 'int64', ['batch']);
  return g.toBytes({
    docString: 'CRATE encoder + nearest-subspace head: image → per-class residuals and the predicted class index',
    metadata: metadataProps(meta, 'classifier', { classes: JSON.stringify(head.classes) }),
  });
}
