import { Fragment, useEffect, useState } from 'react';
import type { RunGroup, RunSummary } from '../../../preload/api';
import { useLab } from '../context';
import { compareGroups, figureLabel, figureNames, fmtFigure, fmtMeanStd, HEADLINE, isFraction } from '../lib/groupFigures';

/**
 * Runs of the same settings (apart from the seed) as groups: mean ± sample std of each figure over the finished
 * runs, every seed's value in the details, and two selected groups compared figure by figure.
 */
export function RunGroups({ runs }: { runs: RunSummary[] }): React.JSX.Element | null {
  const { host, check } = useLab();
  const [groups, setGroups] = useState<RunGroup[] | null>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [open, setOpen] = useState<string | null>(null);

  // the groups follow the run list (a refresh, a run finishing)
  useEffect(() => {
    let alive = true;
    void host.listGroups().then((r) => {
      if (alive) setGroups(check(r, 'Could not group the runs') ?? []);
    });
    return () => {
      alive = false;
    };
  }, [runs, host]); // eslint-disable-line react-hooks/exhaustive-deps

  // a group is worth a row when it holds several runs or came from a sweep
  const shown = (groups ?? []).filter((g) => g.runIds.length > 1 || g.sweeps.length > 0);
  if (!shown.length) return null;
  const toggle = (key: string): void => setSelected((s) => (s.includes(key) ? s.filter((k) => k !== key) : [...s.slice(-1), key]));
  const pair = selected.map((k) => shown.find((g) => g.key === k)).filter((g): g is RunGroup => !!g);

  return (
    <div className="panel groups" aria-label="Groups of runs" data-testid="run-groups">
      <div className="panel-head">
        <h2>Groups</h2>
        <span className="muted small">Runs of the same settings but the seed: mean ± sample std (n − 1) over the finished runs, accuracies in %. Select two groups to compare them.</span>
      </div>
      <table className="runs-table">
        <thead>
          <tr>
            <th scope="col">
              <span className="sr-only">Compare</span>
            </th>
            <th scope="col">Settings</th>
            <th scope="col">Runs</th>
            <th scope="col">Seeds</th>
            {HEADLINE.map(([n, label]) => (
              <th scope="col" key={n}>
                {label}
              </th>
            ))}
            <th scope="col">
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((g) => (
            <Fragment key={g.key}>
              <tr data-testid="group-row" data-group-key={g.key}>
                <td>
                  <input type="checkbox" checked={selected.includes(g.key)} onChange={() => toggle(g.key)} aria-label={`Compare group ${g.key}`} />
                </td>
                <td>
                  <div className="run-name">
                    {g.preset} on <span className="mono small">{g.data}</span>
                  </div>
                  {g.settings.length > 0 && <div className="run-settings small">{g.settings.join(' · ')}</div>}
                  {g.sweeps.length > 0 && <div className="muted small mono">sweep {g.sweeps.join(', ')}</div>}
                </td>
                <td>
                  {g.finishedIds.length} / {g.runIds.length}
                </td>
                <td className="small">{g.seeds.join(', ')}</td>
                {HEADLINE.map(([n]) => (
                  <td key={n} className="mono" data-testid="group-figure" data-figure={n}>
                    {fmtMeanStd(n, g.figures[n])}
                  </td>
                ))}
                <td>
                  <button className="btn small ghost" aria-expanded={open === g.key} onClick={() => setOpen(open === g.key ? null : g.key)}>
                    {open === g.key ? 'Hide' : 'All figures'}
                  </button>
                </td>
              </tr>
              {open === g.key && (
                <tr>
                  <td colSpan={5 + HEADLINE.length}>
                    <GroupDetails g={g} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      {pair.length === 2 && <CompareGroups a={pair[0]} b={pair[1]} />}
    </div>
  );
}

/** Every figure of a group with each seed's value. */
function GroupDetails({ g }: { g: RunGroup }): React.JSX.Element {
  const names = figureNames([g]);
  const seeds = g.figures[names[0]]?.values ?? [];
  return (
    <table className="mini" data-testid="group-details">
      <thead>
        <tr>
          <th>figure</th>
          <th>mean ± std</th>
          {seeds.map((v) => (
            <th key={v.runId} title={v.runId}>
              seed {v.seed}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {names.map((n) => (
          <tr key={n}>
            <td className="mono">{figureLabel(n)}</td>
            <td className="mono">{fmtMeanStd(n, g.figures[n])}</td>
            {seeds.map((s) => {
              const v = g.figures[n].values.find((x) => x.runId === s.runId);
              return (
                <td key={s.runId} className="mono">
                  {v ? fmtFigure(n, v.value) : '—'}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CompareGroups({ a, b }: { a: RunGroup; b: RunGroup }): React.JSX.Element {
  const rows = compareGroups(a, b);
  const own = (x: RunGroup, y: RunGroup): string => x.settings.filter((s) => !y.settings.includes(s)).join(' · ') || '—';
  return (
    <div className="compare-groups" aria-label="Compare groups" data-testid="compare-groups">
      <h3>
        <span className="cmp-a">A</span> vs <span className="cmp-b">B</span>
      </h3>
      <p className="small cmp-diff">
        Only <span className="cmp-a">A</span>: {own(a, b)} · only <span className="cmp-b">B</span>: {own(b, a)}. A difference “exceeds the spread” when it is larger than the two groups’ standard deviations added (their one-std bars do not overlap): a rule of thumb, not a significance test.
      </p>
      <table className="mini">
        <thead>
          <tr>
            <th>figure</th>
            <th className="cmp-a">A ({a.finishedIds.length} runs)</th>
            <th className="cmp-b">B ({b.finishedIds.length} runs)</th>
            <th>A − B</th>
            <th>exceeds spread</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} data-testid="compare-figure" data-figure={r.name}>
              <td className="mono">{figureLabel(r.name)}</td>
              <td className="mono">{fmtMeanStd(r.name, r.a)}</td>
              <td className="mono">{fmtMeanStd(r.name, r.b)}</td>
              <td className="mono">{r.diff === null ? '—' : `${r.diff > 0 ? '+' : ''}${fmtFigure(r.name, r.diff)}${isFraction(r.name) ? ' pts' : ''}`}</td>
              <td className={r.exceeds ? 'ok' : ''}>{r.exceeds === null ? 'n/a (one run)' : r.exceeds ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
