import { useState } from 'react';
import type { PresetInfo, SystemInfo } from '../../../preload/api';
import { useLab } from '../context';
import { SubspaceView } from '../scenes/SubspaceView';
import { useStoreSelector } from '../state/useStore';
import { KnowledgeLog } from './KnowledgeLog';
import { Reconstructions } from './Reconstructions';
import { RunControls } from './RunControls';
import { SetupPanel } from './SetupPanel';
import { StatusLine } from './StatusLine';
import { Timeline } from './Timeline';

/** The lab: set up or control a run on the left, everything it learns on the right. */
export function LabScreen({
  system,
  presets,
  onRunsChanged,
  visible,
}: {
  system: SystemInfo | null;
  presets: PresetInfo[] | null;
  onRunsChanged: () => void;
  /** false while another tab is shown: the 3D loop then stops drawing */
  visible: boolean;
}): React.JSX.Element {
  const { store } = useLab();
  const mode = useStoreSelector(store, (s) => s.mode);
  const runId = useStoreSelector(store, (s) => s.runId);
  const status = useStoreSelector(store, (s) => s.status);
  const [setupOpen, setSetupOpen] = useState(false);
  const active = mode === 'live' && (status === 'running' || status === 'paused' || (runId !== null && status === null));
  const showSetup = mode === 'idle' || setupOpen || (!active && mode === 'live' && runId === null);

  return (
    <div className="lab">
      <aside className="sidebar" aria-label="Experiment">
        {showSetup ? (
          <SetupPanel
            system={system}
            presets={presets}
            onStarted={() => {
              setSetupOpen(false);
              onRunsChanged();
            }}
            onCancel={mode !== 'idle' ? () => setSetupOpen(false) : undefined}
          />
        ) : (
          <RunControls onNewRun={() => setSetupOpen(true)} onChanged={onRunsChanged} />
        )}
      </aside>
      <section className="lab-main" aria-label="Run view">
        <StatusLine system={system} />
        <div className="lab-row">
          <SubspaceView active={visible} />
          <Reconstructions />
        </div>
        <KnowledgeLog />
        <Timeline />
      </section>
    </div>
  );
}
