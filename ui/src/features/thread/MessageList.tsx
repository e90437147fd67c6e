/**
 * Messages oldest at top, opened scrolled to the bottom. Scrolling near the top loads
 * the previous page; the view is then re-anchored so the message you were reading stays
 * put. New messages keep the view pinned to the bottom only if it already was there.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef } from "react";
import type { ThreadMessage } from "../../ipc/bindings";
import { formatDayLabel } from "../../lib/time";
import { Spinner } from "../../ui/states";
import { layoutThread } from "./layout";
import { Message } from "./Message";

type Props = {
  conversationId: string;
  messages: ThreadMessage[];
  contactName: string;
  /** Reactions and replies follow the reply window: none once it has closed. */
  canReact: boolean;
  onReply: (m: ThreadMessage) => void;
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder: () => void;
  focusMessageId: string | null;
  now: number;
};

const LOAD_OLDER_AT = 160; // px from the top
const PINNED_SLACK = 80; // px from the bottom that still counts as "at the bottom"

export function MessageList({ conversationId, messages, contactName, hasOlder, loadingOlder, loadOlder, focusMessageId, now, canReact, onReply }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const items = useMemo(() => layoutThread(messages), [messages]);
  const pinned = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const positioned = useRef<string | null>(null);
  const oldestId = messages[0]?.id;
  const newestId = messages[messages.length - 1]?.id;

  const requestOlder = useCallback(() => {
    const el = scrollRef.current;
    if (!el || !hasOlder || loadingOlder) return;
    anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    loadOlder();
  }, [hasOlder, loadingOlder, loadOlder]);

  // First paint of a conversation: jump to the searched-for message, else the bottom.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || messages.length === 0) return;
    const key = `${conversationId}:${focusMessageId ?? ""}`;
    if (positioned.current === key) return;
    const target = focusMessageId ? el.querySelector<HTMLElement>(`#msg-${CSS.escape(focusMessageId)}`) : null;
    if (target) {
      target.scrollIntoView({ block: "center" });
      pinned.current = false;
    } else {
      el.scrollTop = el.scrollHeight;
      pinned.current = true;
    }
    positioned.current = key;
  }, [conversationId, focusMessageId, messages.length]);

  // Older page arrived: keep what was on screen where it was.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    const a = anchor.current;
    if (!el || !a) return;
    el.scrollTop = el.scrollHeight - a.height + a.top;
    anchor.current = null;
  }, [oldestId]);

  // Newer message arrived while at the bottom: stay at the bottom.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [newestId]);

  // A short thread cannot scroll, so "scroll to the top" would never fire.
  useEffect(() => {
    const el = scrollRef.current;
    if (el && hasOlder && !loadingOlder && el.scrollHeight <= el.clientHeight + LOAD_OLDER_AT) requestOlder();
  }, [hasOlder, loadingOlder, requestOlder, messages.length]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < PINNED_SLACK;
    if (el.scrollTop < LOAD_OLDER_AT) requestOlder();
  };

  return (
    <div ref={scrollRef} className="messages scroll" onScroll={onScroll} data-arrow-scroll tabIndex={-1}>
      <div className="messages__inner">
        <div className="messages__top">
          {loadingOlder ? (
            <span className="messages__loading">
              <Spinner /> Loading earlier messages…
            </span>
          ) : hasOlder ? null : (
            <span className="messages__start" data-testid="thread-start">
              Beginning of the conversation
            </span>
          )}
        </div>
        {items.map((item) =>
          item.type === "day" ? (
            <div key={item.key} className="day" role="separator">
              <span>{formatDayLabel(item.at, now)}</span>
            </div>
          ) : (
            <Message
              key={item.key}
              message={item.message}
              position={item.position}
              showMeta={item.showMeta}
              contactName={contactName}
              highlighted={item.message.id === focusMessageId}
              conversationId={conversationId}
              canReact={canReact}
              onReply={onReply}
            />
          ),
        )}
      </div>
    </div>
  );
}
