/** The relay link at a glance (sidebar footer); opens pairing when there is something to do. */
import "./relay.css";
import { useState } from "react";
import { Icon } from "../../ui/Icon";
import { describeLink, useRelayStatus } from "./api";
import { PairDialog } from "./PairDialog";

export function RelayIndicator() {
  const status = useRelayStatus();
  const [open, setOpen] = useState(false);
  if (!status.data) return null;
  const { label, detail, tone } = describeLink(status.data.link);
  return (
    <>
      <button
        type="button"
        className={`relay-indicator relay-indicator--${tone}`}
        data-testid="relay-indicator"
        data-state={status.data.link.state}
        title={detail}
        onClick={() => setOpen(true)}
      >
        <span className="relay-indicator__dot" aria-hidden />
        <Icon name="server" size={15} className="relay-indicator__icon" />
        <span className="relay-indicator__label">{label}</span>
      </button>
      <PairDialog open={open} onOpenChange={setOpen} status={status.data} />
    </>
  );
}
