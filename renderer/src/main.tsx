import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './App';
import { BenchPage } from './bench/BenchPage';
import { pickHost } from './host/pickHost';

const root = createRoot(document.getElementById('root')!);
const params = new URLSearchParams(location.search);

if (params.get('bench') === '1') {
  root.render(<BenchPage points={Number(params.get('points') ?? 10000) || 10000} seconds={Number(params.get('seconds') ?? 5) || 5} refreshMs={Number(params.get('refresh') ?? 1000)} />);
} else {
  const host = pickHost(window);
  root.render(
    <StrictMode>
      <App host={host} />
    </StrictMode>,
  );
}
