import { useEffect, useMemo, useRef } from 'react';
import { useLab } from '../context';
import { classCss } from '../lib/classColors';
import { className, fmtPct } from '../lib/format';
import { imageToRgba } from '../lib/imagePixels';
import { decodeWireTensor, type DecodedTensor } from '../lib/wireTensor';
import { useStoreSelector } from '../state/useStore';

const MAX_PAIRS = 3; // x | x̂ pairs per class row
const MAX_MEMORY = 6; // g(Z_mem) images per class row

/** What the lab remembers: x and x̂ = g(f(x)) for the classes being learned, g(Z_mem) for older ones. */
export function Reconstructions(): React.JSX.Element {
  const { store } = useLab();
  const recon = useStoreSelector(store, (s) => s.recon);
  const names = useStoreSelector(store, (s) => s.classNames);
  const mode = useStoreSelector(store, (s) => s.mode);
  // the loop fidelity of the task end these images come from
  const fidelity = useStoreSelector(store, (s) => (recon ? s.tasks.find((t) => t.task === recon.task)?.loopFidelity : undefined));

  const rows = useMemo(() => {
    if (!recon) return [];
    return recon.rows.map((r) => {
      try {
        return { cls: r.cls, kind: r.kind, x: r.x ? decodeWireTensor(r.x, `x of class ${r.cls}`) : null, xhat: decodeWireTensor(r.xhat, `x̂ of class ${r.cls}`), error: null };
      } catch (e) {
        return { cls: r.cls, kind: r.kind, x: null, xhat: null, error: (e as Error).message };
      }
    });
  }, [recon]);

  return (
    <div className="panel recon" aria-label="Reconstructions" data-testid="reconstructions">
      <div className="panel-head">
        <h2>Reconstructions</h2>
        {recon && (
          <span className="muted small">
            task {recon.task + 1} · step {recon.step}
          </span>
        )}
      </div>
      {rows.length === 0 ? (
        <div className="empty">
          <h3>{mode === 'readonly' ? 'None stored with this run' : 'No reconstructions yet'}</h3>
          <p>
            {mode === 'readonly'
              ? 'A run keeps the reconstructions of its latest task end; this one ended no task yet, or was recorded before runs kept them. Resume it to see new ones.'
              : 'Each new class shows input images x beside their closed-loop reconstruction x̂ = g(f(x)); older classes show images decoded from the structured memory, g(Z_mem) — what the lab still remembers without keeping any images.'}
          </p>
        </div>
      ) : (
        <div className="recon-rows">
          {fidelity && (
            <div className="recon-fidelity small" data-testid="loop-fidelity" title="Loop fidelity at this task end, every seen class: test images x → g(f(x)) → f, memory samples z → g(z) → f, both classified by the lab's classifier, and g(z) judged by nearest subspace on raw pixels">
              <span>
                reconstruction <b>{fmtPct(fidelity.reconstructionAll)}</b>
              </span>
              <span>
                decoded memory <b>{fmtPct(fidelity.decodedMemoryAll)}</b>
              </span>
              <span>
                pixel judge <b>{fmtPct(fidelity.decodedMemoryPixelAll)}</b>
              </span>
            </div>
          )}
          <div className="recon-legend muted small">
            <span>
              <b>x | x̂</b> new class: input and g(f(x))
            </span>
            <span>
              <b>g(Z_mem)</b> old class: decoded from memory
            </span>
          </div>
          {rows.map((r) => (
            <div className="recon-row" key={r.cls} data-testid="recon-row">
              <div className="recon-label">
                <span className="swatch" style={{ background: classCss(r.cls) }} />
                <span>{className(names, r.cls)}</span>
                <span className={`tag ${r.kind}`}>{r.kind === 'pair' ? 'x | x̂' : 'g(Z_mem)'}</span>
              </div>
              {r.error ? (
                <span className="err small">{r.error}</span>
              ) : (
                <div className="recon-imgs">
                  {Array.from({ length: Math.min(r.kind === 'pair' ? MAX_PAIRS : MAX_MEMORY, r.xhat!.shape[0]) }, (_, i) => (
                    <span className="pair" key={i}>
                      {r.x && i < r.x.shape[0] && <TensorImage t={r.x} index={i} label={`input ${i + 1}`} />}
                      <TensorImage t={r.xhat!} index={i} label={r.kind === 'pair' ? `reconstruction ${i + 1}` : `memory sample ${i + 1}`} hat />
                    </span>
                  ))}
                </div>
              )}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function TensorImage({ t, index, label, hat }: { t: DecodedTensor; index: number; label: string; hat?: boolean }): React.JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const h = t.shape[t.shape.length - 2];
  const w = t.shape[t.shape.length - 1];
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const img = ctx.createImageData(w, h);
    imageToRgba(t.data, t.shape, index, img.data);
    ctx.putImageData(img, 0, 0);
  }, [t, index, w, h]);
  return <canvas ref={ref} width={w} height={h} className={hat ? 'img hat' : 'img'} role="img" aria-label={label} />;
}
