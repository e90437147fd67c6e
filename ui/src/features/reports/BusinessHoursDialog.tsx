/** Business hours: when set, response and resolution times count only the hours the business is open. */
import "../../ui/forms.css";
import * as Dialog from "@radix-ui/react-dialog";
import { useState, type FormEvent } from "react";
import type { BusinessHours } from "../../ipc/bindings";
import { DialogFrame } from "../../ui/DialogFrame";
import { FormError } from "../../ui/FormError";
import { useSetBusinessHours } from "./api";
import { WEEKDAY_NAMES, clockTime, minutesOf } from "./hours";

const WEEKDAYS_9_TO_5: BusinessHours = { days: [0, 1, 2, 3, 4], opensAt: 9 * 60, closesAt: 17 * 60 };

export function BusinessHoursDialog({ open, onOpenChange, hours }: { open: boolean; onOpenChange: (open: boolean) => void; hours: BusinessHours | null }) {
  return (
    <DialogFrame
      open={open}
      onOpenChange={onOpenChange}
      icon="clock"
      title="Business hours"
      testId="hours-dialog"
      lead="A customer who writes at night and is answered when you open was answered in minutes, not hours. With business hours set, reports count response and resolution times only while you are open."
    >
      <HoursForm hours={hours} onSaved={() => onOpenChange(false)} />
    </DialogFrame>
  );
}

/** Mounted anew each time the dialog opens, from the hours the engine has. */
function HoursForm({ hours, onSaved }: { hours: BusinessHours | null; onSaved: () => void }) {
  const save = useSetBusinessHours();
  const [enabled, setEnabled] = useState(hours !== null);
  const [days, setDays] = useState<number[]>((hours ?? WEEKDAYS_9_TO_5).days);
  const [opens, setOpens] = useState(clockTime((hours ?? WEEKDAYS_9_TO_5).opensAt));
  const [closes, setCloses] = useState(clockTime((hours ?? WEEKDAYS_9_TO_5).closesAt));
  const toggle = (d: number) => setDays((now) => (now.includes(d) ? now.filter((x) => x !== d) : [...now, d].sort((a, b) => a - b)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The engine checks the hours and says what is wrong with them.
    const chosen = enabled ? { days, opensAt: minutesOf(opens), closesAt: minutesOf(closes, true) } : null;
    save.mutate({ hours: chosen }, { onSuccess: onSaved });
  };
  return (
    <form className="form" onSubmit={submit}>
      <label className="form__check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} data-testid="hours-enabled" />
        Count times only in business hours
      </label>
      <fieldset className="hours__days" disabled={!enabled}>
        <legend className="form__label">Open on</legend>
        {WEEKDAY_NAMES.map((name, d) => (
          <button key={name} type="button" className="hours__day" aria-pressed={days.includes(d)} onClick={() => toggle(d)} data-testid={`hours-day-${d}`}>
            {name}
          </button>
        ))}
      </fieldset>
      <div className="hours__times">
        <label className="form__field">
          <span className="form__label">Opens</span>
          <input className="input" type="time" value={opens} disabled={!enabled} onChange={(e) => setOpens(e.target.value)} data-testid="hours-opens" />
        </label>
        <label className="form__field">
          <span className="form__label">Closes</span>
          <input className="input" type="time" value={closes} disabled={!enabled} onChange={(e) => setCloses(e.target.value)} data-testid="hours-closes" />
        </label>
      </div>
      <FormError error={save.error} testId="hours-error" />
      <div className="dialog__actions">
        <Dialog.Close asChild>
          <button type="button" className="btn btn--ghost">
            Cancel
          </button>
        </Dialog.Close>
        <button type="submit" className="btn btn--primary" data-testid="hours-save" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}
