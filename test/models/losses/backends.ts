/** Backends the loss tests run on (both available in plain Node, no GPU). */
import * as tf from '@tensorflow/tfjs'; // the full bundle: also registers all gradients, as the app does
import '@tensorflow/tfjs-backend-wasm';

export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`test setup: backend '${name}' failed to initialise`);
  await tf.ready();
}
