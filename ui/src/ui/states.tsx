/** Loading, empty and error states shared by every pane. */
import "./states.css";
import type { ReactNode } from "react";
import type { UiError } from "../ipc/bindings";
import { Icon, type IconName } from "./Icon";

export function Skeleton({ width, height = 10, round = false }: { width: number | string; height?: number; round?: boolean }) {
  return <span className={round ? "skeleton skeleton--round" : "skeleton"} style={{ width, height }} aria-hidden="true" />;
}

export function EmptyState({ icon, title, children, testId }: { icon: IconName; title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="state" data-testid={testId}>
      <span className="state__icon">
        <Icon name={icon} size={22} />
      </span>
      <p className="state__title">{title}</p>
      {children ? <div className="state__body">{children}</div> : null}
    </div>
  );
}

/** Shows the owner-facing message and next step from the engine, with a retry. */
export function ErrorState({
  error,
  onRetry,
  retrying = false,
  compact = false,
}: {
  error: UiError;
  onRetry?: () => void;
  retrying?: boolean;
  compact?: boolean;
}) {
  return (
    <div className={compact ? "state state--error state--compact" : "state state--error"} role="alert" data-testid="error-state" data-code={error.code}>
      <span className="state__icon">
        <Icon name="alert" size={22} />
      </span>
      <p className="state__title">{error.message}</p>
      {error.action ? <p className="state__body">{error.action}</p> : null}
      {onRetry ? (
        <button type="button" className="btn btn--secondary" onClick={onRetry} disabled={retrying} data-testid="retry">
          {retrying ? "Retrying…" : "Try again"}
        </button>
      ) : null}
    </div>
  );
}

export function Spinner({ size = 14 }: { size?: number }) {
  return <span className="spinner" style={{ width: size, height: size }} role="status" aria-label="Loading" />;
}

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>;
}
