import type { ReactNode } from "react";
import { PageHeader } from "../components/ui";

export function Placeholder({ title, issue, children }: { title: string; issue?: string; children: ReactNode }) {
  return (
    <>
      <PageHeader title={title} />
      <div className="card placeholder">
        <p>{children}</p>
        {issue && <p className="muted">Not built yet: {issue} fills this page.</p>}
      </div>
    </>
  );
}
