/** Delivery state of an outbound message: clock, ✓, ✓✓, coloured ✓✓, or a failure. */
import type { DeliveryStatus, Failure } from "../../ipc/bindings";
import { Icon } from "../../ui/Icon";
import { Tooltip } from "../../ui/Tooltip";

const LABEL: Record<DeliveryStatus, string> = {
  pending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  played: "Played",
  failed: "Not delivered",
};

export function failureText(failure: Failure | null): string {
  const reason = failure?.reason?.trim() || "The platform did not accept this message.";
  return failure?.code != null ? `${reason} (code ${failure.code})` : reason;
}

export function StatusIcon({ status, failure }: { status: DeliveryStatus; failure: Failure | null }) {
  if (status === "failed") {
    return (
      <Tooltip content={<span className="tooltip__failure">{failureText(failure)}</span>}>
        <button type="button" className="status status--failed" data-testid="message-failed" aria-label={`Not delivered: ${failureText(failure)}`}>
          <Icon name="alert" size={13} />
          Not delivered
        </button>
      </Tooltip>
    );
  }
  const icon = status === "pending" ? "clock" : status === "sent" ? "check" : status === "played" ? "play" : "checks";
  return (
    <span className={`status status--${status}`} title={LABEL[status]} aria-label={LABEL[status]}>
      <Icon name={icon} size={status === "played" ? 10 : 14} />
    </span>
  );
}
