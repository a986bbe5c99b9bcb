// The template gallery: the example workflows shipped in the binary
// (GET /api/v1/templates, the files of examples/). Import opens the editor
// with the YAML, unsaved, renamed when a workflow of that name exists.
import { api } from "../api/client";
import { Empty, ErrorBox, PageHeader, useLoad } from "../components/ui";
import { navigate } from "../router";

/** name, or name-2, name-3 … the first that is not taken. */
export function uniqueName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) if (!taken.has(`${name}-${i}`)) return `${name}-${i}`;
}

/** The YAML with its top-level name replaced. */
export function withName(yaml: string, name: string): string {
  return /^name:.*$/m.test(yaml) ? yaml.replace(/^name:.*$/m, `name: ${name}`) : `name: ${name}\n${yaml}`;
}

export function Templates() {
  const tpls = useLoad(() => api.templates());
  const wfs = useLoad(() => api.workflows());
  const open = async (t: { name: string; yaml: string }) => {
    const taken = new Set((wfs.data ?? (await api.workflows())).items.map((w) => w.name));
    const name = uniqueName(t.name, taken);
    navigate(`/workflows/new?template=${encodeURIComponent(t.name)}`, false, { yaml: withName(t.yaml, name) });
  };
  return (
    <>
      <PageHeader title="Templates" />
      <p className="muted">Example workflows shipped with Weft (the files of <span className="mono">examples/</span>). Import one to open it in the editor; nothing is saved until you save it.</p>
      <ErrorBox error={tpls.error ?? wfs.error} />
      {tpls.data && tpls.data.items.length === 0 && <Empty title="No templates in this build" />}
      <ul className="templates">
        {(tpls.data?.items ?? []).map((t) => (
          <li key={t.name} className="template-card" data-template={t.name}>
            <h2>{t.name}</h2>
            <p>{t.description}</p>
            <p className="muted small mono">{t.file}</p>
            <button className="btn primary" onClick={() => open(t)} aria-label={`Import ${t.name}`}>
              Import
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
