/** Shown instead of a spinner while the web page has no connection to `crate-lab serve`. */
export function NotConnected(): React.JSX.Element {
  return (
    <div className="empty big" role="status">
      <h3>Not connected to the lab server</h3>
      <p>
        This page talks to <code>crate-lab serve</code> over a WebSocket and is retrying. If the server stopped, start it again with{' '}
        <code>npm run lab -- serve</code> and open the URL it prints (the token in it is required).
      </p>
    </div>
  );
}
