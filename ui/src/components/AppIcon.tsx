import type { AppInfo } from "../api/types";

/** An app's icon, from the SVG its connector ships (an <img>, so the SVG runs no script). */
export function AppIcon({ app, size = 16 }: { app?: AppInfo; size?: number }) {
  if (!app?.icon) return null;
  return <img className="app-icon" src={`data:image/svg+xml;utf8,${encodeURIComponent(app.icon)}`} width={size} height={size} alt="" />;
}
