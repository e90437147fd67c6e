import { memo } from "react";
import type { ConversationSummary } from "../../ipc/bindings";
import { displayName } from "../../lib/contact";
import { formatFull, formatListTime } from "../../lib/time";
import { Avatar } from "../../ui/Avatar";
import { Icon } from "../../ui/Icon";
import { previewText } from "./preview";

type Props = {
  conversation: ConversationSummary;
  selected: boolean;
  now: number;
  onOpen: (c: ConversationSummary) => void;
};

export function isUnread(c: ConversationSummary): boolean {
  return c.unreadCount > 0 || c.markedUnread;
}

export const ConversationRow = memo(function ConversationRow({ conversation: c, selected, now, onOpen }: Props) {
  const unread = isUnread(c);
  const failed = c.preview?.direction === "outbound" && c.preview.status === "failed";
  return (
    <div
      role="option"
      aria-selected={selected}
      className="row"
      data-unread={unread || undefined}
      data-testid="conversation-item"
      data-conversation-id={c.id}
      onClick={() => onOpen(c)}
    >
      <Avatar contact={c.contact} platform={c.platform} size={38} />
      <div className="row__main">
        <div className="row__line">
          <span className="row__name">{displayName(c.contact)}</span>
          {c.lastMessageAt ? (
            <time className="row__time" dateTime={new Date(c.lastMessageAt).toISOString()} title={formatFull(c.lastMessageAt)}>
              {formatListTime(c.lastMessageAt, now)}
            </time>
          ) : null}
        </div>
        <div className="row__line">
          <span className="row__preview">
            {failed ? <Icon name="alert" size={13} className="row__failed" title="Not delivered" /> : null}
            {previewText(c.preview)}
          </span>
          {c.unreadCount > 0 ? (
            <span className="badge" aria-label={`${c.unreadCount} unread`}>
              {c.unreadCount > 99 ? "99+" : c.unreadCount}
            </span>
          ) : c.markedUnread ? (
            <span className="dot" aria-label="Marked unread" />
          ) : null}
        </div>
      </div>
    </div>
  );
});
