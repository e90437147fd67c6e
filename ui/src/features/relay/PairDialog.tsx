/** Pairing this computer with the owner's relay: its address and a one-time code. */
import "../../ui/forms.css";
import "./relay.css";
import * as Dialog from "@radix-ui/react-dialog";
import { useState, type FormEvent } from "react";
import type { RelayStatus } from "../../ipc/bindings";
import { DialogFrame } from "../../ui/DialogFrame";
import { FormError } from "../../ui/FormError";
import { describeLink, usePairRelay } from "./api";

export function PairDialog({ open, onOpenChange, status }: { open: boolean; onOpenChange: (open: boolean) => void; status: RelayStatus }) {
  const { label, detail, tone } = describeLink(status.link);
  return (
    <DialogFrame
      open={open}
      onOpenChange={onOpenChange}
      icon="server"
      title="Your relay"
      testId="pair-dialog"
      lead={
        <>
          The relay receives your messages from Meta and keeps them, sealed for this computer, until it picks them up. Run <code>cahts-relay pair</code> on the
          relay to get a code.
        </>
      }
    >
      {status.relayUrl ? (
        <p className={`dialog__status dialog__status--${tone}`} data-testid="relay-status-line">
          <span className="relay-indicator__dot" aria-hidden />
          <strong>{label}</strong> {detail}
        </p>
      ) : null}
      <PairForm status={status} onPaired={() => onOpenChange(false)} />
    </DialogFrame>
  );
}

/**
 * Mounted anew each time the dialog opens (the dialog's content exists only while open), so
 * it starts from the paired address, an empty code and no old error; later status updates
 * do not overwrite what is being typed.
 */
function PairForm({ status, onPaired }: { status: RelayStatus; onPaired: () => void }) {
  const pair = usePairRelay();
  const [relayUrl, setRelayUrl] = useState(status.relayUrl ?? "");
  const [code, setCode] = useState("");
  const canSubmit = relayUrl.trim() !== "" && code.trim() !== "" && !pair.isPending;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!canSubmit) return;
    pair.mutate({ relayUrl: relayUrl.trim(), code: code.trim(), deviceName: null }, { onSuccess: onPaired });
  };

  return (
    <form className="form" onSubmit={submit}>
      <label className="form__field">
        <span className="form__label">Relay address</span>
        <input
          className="input"
          data-testid="relay-url"
          type="url"
          inputMode="url"
          placeholder="https://relay.example.com"
          autoComplete="off"
          spellCheck={false}
          value={relayUrl}
          onChange={(e) => setRelayUrl(e.target.value)}
        />
      </label>
      <label className="form__field">
        <span className="form__label">Pairing code</span>
        <input
          className="input input--code"
          data-testid="pairing-code"
          placeholder="XXXX-XXXX-XXXX-XXXX"
          autoComplete="one-time-code"
          spellCheck={false}
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      </label>
      <FormError error={pair.error} testId="pair-error" />
      <div className="dialog__actions">
        <Dialog.Close asChild>
          <button type="button" className="btn btn--ghost">
            Cancel
          </button>
        </Dialog.Close>
        <button type="submit" className="btn btn--primary" data-testid="pair-submit" disabled={!canSubmit}>
          {pair.isPending ? "Pairing…" : status.relayUrl ? "Pair again" : "Pair"}
        </button>
      </div>
    </form>
  );
}
