import { api, webhookURL } from "../api/client";
import { CopyButton, Empty, ErrorBox, PageHeader, useLoad } from "../components/ui";
import { Link } from "../router";

export function Webhooks() {
  const wf = useLoad(() => api.workflows());
  const hooks = (wf.data?.items ?? []).filter((w) => w.webhook_path);
  return (
    <>
      <PageHeader title="Webhooks" />
      <ErrorBox error={wf.error} />
      {wf.data && hooks.length === 0 ? (
        <Empty title="No webhook triggers yet">
          <p className="muted">
            Give a workflow an <code>on.webhook</code> trigger and its URL shows up here.
          </p>
        </Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Workflow</th>
              <th>URL</th>
              <th>Enabled</th>
              <th aria-label="Copy" />
            </tr>
          </thead>
          <tbody>
            {hooks.map((w) => (
              <tr key={w.name}>
                <td>
                  <Link to={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</Link>
                </td>
                <td className="mono small" data-testid="webhook-url">
                  {webhookURL(w.webhook_path!)}
                </td>
                <td>{w.enabled ? "yes" : <span className="muted">disabled</span>}</td>
                <td>
                  <CopyButton text={webhookURL(w.webhook_path!)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted small note">
        Verification schemes, delivery logs and replay arrive with the webhooks issue; until then each URL accepts the method its trigger names.
      </p>
    </>
  );
}
