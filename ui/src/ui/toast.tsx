/**
 * Failed writes (mark read, done...) surface here: one small store fed by the query
 * client's mutation cache, so no component has to remember to report its errors.
 */
import "./toast.css";
import { useSyncExternalStore } from "react";
import type { UiError } from "../ipc/bindings";
import { Icon } from "./Icon";

type Toast = { id: number; error: UiError };

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit() {
  for (const l of listeners) l();
}

export function showError(error: UiError): void {
  const id = nextId++;
  toasts = [...toasts.slice(-2), { id, error }];
  emit();
  setTimeout(() => dismiss(id), 6000);
}

function dismiss(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function Toaster() {
  const list = useSyncExternalStore(subscribe, () => toasts);
  return (
    <div className="toaster" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className="toast" role="alert" data-testid="toast">
          <Icon name="alert" size={16} className="toast__icon" />
          <div className="toast__text">
            <strong>{t.error.message}</strong>
            {t.error.action ? <span>{t.error.action}</span> : null}
          </div>
          <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            <Icon name="x" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
