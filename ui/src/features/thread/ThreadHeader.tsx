/** Who the conversation is with, through which account, whether a reply is still allowed. */
import type { ConversationSummary } from "../../ipc/bindings";
import { displayName, secondaryId } from "../../lib/contact";
import { PLATFORM_LABEL } from "../../lib/platform";
import { Avatar } from "../../ui/Avatar";
import { Icon } from "../../ui/Icon";
import { PlatformGlyph } from "../../ui/PlatformGlyph";
import { Kbd } from "../../ui/states";
import { Tooltip } from "../../ui/Tooltip";
import { isUnread } from "../conversations/ConversationRow";
import { describeReplyWindow } from "./replyWindow";

type Props = {
  conversation: ConversationSummary;
  now: number;
  onToggleUnread: () => void;
  onToggleDone: () => void;
  busy: boolean;
};

export function ThreadHeader({ conversation: c, now, onToggleUnread, onToggleDone, busy }: Props) {
  const second = secondaryId(c.contact);
  const rw = describeReplyWindow(c.replyWindow, now);
  const unread = isUnread(c);
  const done = c.state === "done";
  return (
    <header className="thread-header" data-testid="thread-header">
      <div className="thread-header__main">
        <Avatar contact={c.contact} size={36} />
        <div className="thread-header__who">
          <h2 className="thread-header__name">{displayName(c.contact)}</h2>
          <p className="thread-header__meta">
            {second ? <span className="thread-header__id">{second}</span> : null}
            <span className="thread-header__via">
              <PlatformGlyph platform={c.platform} size={13} decorative />
              {PLATFORM_LABEL[c.platform]}
              {c.account.name ? <span className="thread-header__account"> · {c.account.name}</span> : null}
            </span>
          </p>
        </div>
        <div className="thread-header__actions">
          <Tooltip
            content={
              <>
                {unread ? "Mark as read" : "Mark as unread"} <Kbd>U</Kbd>
              </>
            }
          >
            <button type="button" className="btn btn--ghost" onClick={onToggleUnread} disabled={busy} data-testid="mark-unread">
              <Icon name="mail" size={15} />
              <span className="btn__label">{unread ? "Mark read" : "Mark unread"}</span>
            </button>
          </Tooltip>
          <Tooltip
            content={
              <>
                {done ? "Move back to the inbox" : "Mark done and move on"} <Kbd>E</Kbd>
              </>
            }
          >
            <button
              type="button"
              className={done ? "btn btn--secondary" : "btn btn--primary"}
              onClick={onToggleDone}
              disabled={busy}
              data-testid="toggle-done"
              data-state={c.state}
            >
              <Icon name={done ? "reopen" : "check"} size={15} />
              <span className="btn__label">{done ? "Reopen" : "Done"}</span>
            </button>
          </Tooltip>
        </div>
      </div>
      <Tooltip content={rw.detail} side="bottom">
        <p className={`reply-window reply-window--${rw.status}`} data-testid="reply-window" data-status={rw.status} tabIndex={0}>
          <span className="reply-window__dot" />
          {rw.label}
        </p>
      </Tooltip>
    </header>
  );
}
