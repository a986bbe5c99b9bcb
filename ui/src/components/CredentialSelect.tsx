// The `credential:` input of a step form: a choice among the credentials
// that exist, so a typo is seen while editing rather than at run time. A
// name that does not exist (typed by hand, or from a file) stays possible
// but is marked unknown, with the way to fix it.
import { useState } from "react";
import { api } from "../api/client";
import { Link } from "../router";
import { useLoad } from "./ui";

const OTHER = "\u0000other";

export function CredentialSelect({ value, onChange, label = "credential", type }: { value: string; onChange: (v: string) => void; label?: string; type?: string }) {
  const list = useLoad(() => api.credentials());
  const [typing, setTyping] = useState(false);
  // type: offer only credentials of that type (an mcp.call's connection).
  const items = (list.data?.items ?? []).filter((c) => !type || c.type === type);
  const known = items.some((c) => c.name === value);
  const unknown = !!value && !!list.data && !known;
  return (
    <span className="cred-select" data-testid="credential-select">
      {typing ? (
        <input aria-label={label} className="mono" autoComplete="off" spellCheck={false} value={value} autoFocus placeholder="credential name" onChange={(e) => onChange(e.target.value)} onBlur={() => setTyping(false)} />
      ) : (
        <select
          aria-label={label}
          value={value}
          onChange={(e) => {
            if (e.target.value === OTHER) setTyping(true);
            else onChange(e.target.value);
          }}
        >
          <option value="">— none —</option>
          {items.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} ({c.type})
            </option>
          ))}
          {unknown && <option value={value}>{value} (unknown)</option>}
          <option value={OTHER}>Other name…</option>
        </select>
      )}
      {unknown && (
        <span className="field-problem" data-testid="credential-unknown">
          No credential is named “{value}”: the step will fail at run time. Create it on the <Link to="/credentials">Credentials</Link> page or pick one above.
        </span>
      )}
      {list.data && items.length === 0 && !value && (
        <span className="field-help">
          No credentials yet: add one on the <Link to="/credentials">Credentials</Link> page.
        </span>
      )}
    </span>
  );
}
