import { Component, type ReactNode } from "react";

/** A render error shows a message and a way back instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
  state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="card placeholder" role="alert">
        <h2>Something went wrong on this page</h2>
        <pre className="json">{this.state.error.message}</pre>
        <p>
          <button className="btn" onClick={() => location.reload()}>
            Reload
          </button>
        </p>
      </div>
    );
  }
}
