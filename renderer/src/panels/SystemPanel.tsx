import type { SystemInfo } from '../../../preload/api';
import { NotConnected } from '../components/NotConnected';

/** What this machine offers: TF.js backends (and why some are missing), the GPU adapter, versions. */
export function SystemPanel({
  system,
  error,
  reload,
  connected,
}: {
  system: SystemInfo | null;
  error: string | null;
  reload: () => Promise<void>;
  connected: boolean;
}): React.JSX.Element {
  if (!system && !connected)
    return (
      <div className="page">
        <NotConnected />
      </div>
    );
  if (error && !system)
    return (
      <div className="page">
        <div className="empty big" role="alert">
          <h3>System information is not available</h3>
          <p>{error}</p>
          <button className="btn" onClick={() => void reload()}>
            Try again
          </button>
        </div>
      </div>
    );
  if (!system) return <div className="page"><p className="muted">Asking the engine…</p></div>;
  const v = system.versions;
  return (
    <div className="page system" data-testid="system-panel">
      <div className="section-head">
        <h2>System</h2>
        <button className="btn small" onClick={() => void reload()}>
          Refresh
        </button>
      </div>
      <div className="sys-grid">
        <div className="panel">
          <h3>Compute backends</h3>
          <table className="mini wide" data-testid="backend-table">
            <thead>
              <tr>
                <th>backend</th>
                <th>status</th>
                <th>note</th>
              </tr>
            </thead>
            <tbody>
              {system.backends.map((b) => (
                <tr key={b.name}>
                  <td className="mono">
                    {b.name}
                    {b.name === system.chosen && <span className="tag chosen">in use</span>}
                  </td>
                  <td className={b.available ? 'ok' : 'bad'}>{b.available ? 'loaded' : 'unavailable'}</td>
                  <td className="small">{b.reason ?? (b.available ? '' : '—')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="panel">
          <h3>GPU adapter (WebGPU)</h3>
          {system.adapter ? (
            <dl className="kv">
              <dt>Vendor</dt>
              <dd>{system.adapter.vendor || '—'}</dd>
              <dt>Architecture</dt>
              <dd>{system.adapter.architecture || '—'}</dd>
              <dt>Description</dt>
              <dd>{system.adapter.description || '—'}</dd>
            </dl>
          ) : (
            <p className="muted">No WebGPU adapter was found, so training runs on the CPU backends. On a machine with a GPU and Vulkan, Metal or D3D12 drivers, the webgpu backend is picked automatically.</p>
          )}
        </div>
        <div className="panel">
          <h3>Versions</h3>
          <dl className="kv">
            <dt>CRATE Lab</dt>
            <dd>{v.app}</dd>
            <dt>Node</dt>
            <dd>{v.node}</dd>
            <dt>Electron</dt>
            <dd>{v.electron ?? 'not used (web mode)'}</dd>
            <dt>TensorFlow.js</dt>
            <dd>{v.tfjs}</dd>
            <dt>onnxruntime</dt>
            <dd>{v.onnxruntime ?? 'not loaded'}</dd>
          </dl>
        </div>
        <div className="panel">
          <h3>This lab</h3>
          <dl className="kv">
            <dt>Window</dt>
            <dd>{system.host === 'electron' ? 'desktop app' : 'browser (web mode)'}</dd>
            <dt>Runs folder</dt>
            <dd className="mono small">{system.runsRoot}</dd>
            <dt>Platform</dt>
            <dd>{system.platform}</dd>
            <dt>CPU cores</dt>
            <dd>{system.cpus}</dd>
          </dl>
        </div>
      </div>
    </div>
  );
}
