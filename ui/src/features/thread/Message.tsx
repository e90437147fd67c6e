/** One message: quote, bubble, reactions and the small line with time and status. */
import { useDiscardSend, useReact, useRetrySend, localClientId } from "../compose/api";
import { memo, useState } from "react";
import type { Quoted, Reaction, ThreadMessage } from "../../ipc/bindings";
import { formatClock, formatFull } from "../../lib/time";
import { Icon } from "../../ui/Icon";
import { isCard, isVisualMedia } from "./Attachments";
import type { GroupPosition } from "./layout";
import { MessageContent } from "./MessageContent";
import { StatusIcon } from "./StatusIcon";

function QuoteBlock({ quoted, contactName }: { quoted: Quoted; contactName: string }) {
  if (quoted.type === "story") {
    return (
      <div className="quote quote--story">
        <Icon name="story" size={13} />
        Replied to your story
      </div>
    );
  }
  const who = quoted.direction === "outbound" ? "You" : quoted.direction === "inbound" ? contactName : null;
  const text = quoted.deleted ? "This message was unsent" : (quoted.text ?? (quoted.kind && quoted.kind !== "text" ? "Attachment" : null));
  return (
    <div className="quote">
      {who ? <span className="quote__who">{who}</span> : null}
      <span className="quote__text">{text ?? "Original message not available"}</span>
    </div>
  );
}

function Reactions({ reactions }: { reactions: Reaction[] }) {
  // Same emoji from both sides shows once with a count.
  const byEmoji = new Map<string, { count: number; mine: boolean }>();
  for (const r of reactions) {
    const e = byEmoji.get(r.emoji) ?? { count: 0, mine: false };
    byEmoji.set(r.emoji, { count: e.count + 1, mine: e.mine || r.actor === "business" });
  }
  return (
    <div className="reactions">
      {[...byEmoji].map(([emoji, { count, mine }]) => (
        <span
          key={emoji}
          className={mine ? "reaction reaction--mine" : "reaction"}
          title={mine ? "Your reaction" : "Customer's reaction"}
          data-testid="reaction"
        >
          {emoji}
          {count > 1 ? <span className="reaction__count">{count}</span> : null}
        </span>
      ))}
    </div>
  );
}

const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "🙏"];

/** Reacting to a customer's message: five quick emoji; the current one again takes it back. */
function ReactButton({ conversationId, messageId, current }: { conversationId: string; messageId: string; current: string | null }) {
  const [open, setOpen] = useState(false);
  const react = useReact(conversationId);
  return (
    <div className="msg__react">
      {open ? (
        <div className="react-picker" role="menu" data-testid="react-picker">
          {QUICK_REACTIONS.map((emoji) => (
            <button
              key={emoji}
              type="button"
              role="menuitem"
              className={emoji === current ? "react-picker__emoji react-picker__emoji--on" : "react-picker__emoji"}
              aria-label={emoji === current ? `Remove ${emoji}` : `React ${emoji}`}
              disabled={react.isPending}
              onClick={() => {
                react.mutate({ conversationId, messageId, emoji: emoji === current ? null : emoji });
                setOpen(false);
              }}
            >
              {emoji}
            </button>
          ))}
        </div>
      ) : null}
      <button type="button" className="icon-btn" data-testid="react-open" aria-label="React" aria-expanded={open} onClick={() => setOpen(!open)}>
        <Icon name="smile" size={15} />
      </button>
    </div>
  );
}

/** Bubbles that are not a plain coloured block: media, taps, notices, unsent. */
function bubbleVariant(m: ThreadMessage): string {
  if (m.deleted) return "bubble--deleted";
  if (m.kind === "unsupported") return "bubble--notice";
  if (m.kind === "postback" || m.kind === "button" || m.kind === "interactive") return "bubble--chip";
  if (m.kind === "location" || m.kind === "contacts") return "bubble--cards";
  const bare = !m.text && !m.quoted && m.attachments.length > 0 && m.kind !== "story_mention";
  if (bare && m.attachments.every(isVisualMedia)) return "bubble--media";
  if (bare && m.attachments.every(isCard)) return "bubble--cards";
  if (m.kind === "referral" && !m.text && !m.quoted) return "bubble--cards";
  return "";
}

type Props = {
  message: ThreadMessage;
  position: GroupPosition;
  showMeta: boolean;
  contactName: string;
  highlighted: boolean;
  conversationId: string;
  canReact: boolean;
  onReply: (m: ThreadMessage) => void;
};

export const Message = memo(function Message({ message: m, position, showMeta, contactName, highlighted, conversationId, canReact, onReply }: Props) {
  const common = {
    "data-testid": "thread-message",
    "data-direction": m.direction,
    "data-message-id": m.id,
    "data-kind": m.kind,
    id: `msg-${m.id}`,
  };
  if (m.kind === "system") {
    return (
      <div className="notice" {...common}>
        <span title={formatFull(m.sentAt)}>{m.text ?? "Conversation updated"}</span>
      </div>
    );
  }
  const failed = m.direction === "outbound" && m.status === "failed";
  return (
    <div className={`msg msg--${m.direction} msg--${position}${failed ? " msg--failed" : ""}${highlighted ? " msg--highlight" : ""}`} {...common}>
      <div className="msg__stack">
        {m.extras.forwarded ? (
          <span className="msg__forwarded">
            <Icon name="forward" size={12} /> Forwarded
          </span>
        ) : null}
        <div className="msg__line">
          <div className={`bubble ${bubbleVariant(m)}`} title={formatFull(m.sentAt)}>
            {m.quoted ? <QuoteBlock quoted={m.quoted} contactName={contactName} /> : null}
            <MessageContent message={m} />
          </div>
          {canReact && !m.deleted && !localClientId(m.mid) ? (
            <div className="msg__tools">
              <button type="button" className="icon-btn" data-testid="reply-open" aria-label="Reply to this message" onClick={() => onReply(m)}>
                <Icon name="quote" size={15} />
              </button>
              {m.direction === "inbound" ? (
                <ReactButton conversationId={conversationId} messageId={m.mid} current={m.reactions.find((r) => r.actor === "business")?.emoji ?? null} />
              ) : null}
            </div>
          ) : null}
        </div>
        {m.reactions.length > 0 ? <Reactions reactions={m.reactions} /> : null}
        {showMeta ? (
          <div className="msg__meta">
            {m.edited && !m.deleted ? <span className="msg__edited">edited</span> : null}
            <time dateTime={new Date(m.sentAt).toISOString()}>{formatClock(m.sentAt)}</time>
            {m.direction === "outbound" && m.status ? <StatusIcon status={m.status} failure={m.failure} /> : null}
          </div>
        ) : null}
        {m.direction === "outbound" && m.status === "failed" && localClientId(m.mid) ? (
          <FailedSendActions conversationId={conversationId} clientId={localClientId(m.mid)!} />
        ) : null}
      </div>
    </div>
  );
});

/** A reply that did not go out: send it again, or drop it. */
function FailedSendActions({ conversationId, clientId }: { conversationId: string; clientId: string }) {
  const retry = useRetrySend(conversationId);
  const discard = useDiscardSend(conversationId);
  const busy = retry.isPending || discard.isPending;
  return (
    <div className="msg__actions" data-testid="failed-send-actions">
      <button type="button" className="btn btn--secondary" data-testid="retry-send" disabled={busy} onClick={() => retry.mutate({ clientId })}>
        Send again
      </button>
      <button type="button" className="btn btn--ghost" data-testid="discard-send" disabled={busy} onClick={() => discard.mutate({ clientId })}>
        Discard
      </button>
    </div>
  );
}
