/** The open conversation: header, messages, and marking it read when opened. */
import "./thread.css";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ConversationSummary, ThreadMessage } from "../../ipc/bindings";
import { displayName } from "../../lib/contact";
import { MOD_KEY } from "../../lib/keys";
import { Icon } from "../../ui/Icon";
import { ErrorState, Kbd, Skeleton } from "../../ui/states";
import { Composer } from "../compose/Composer";
import { useMarkRead } from "../conversations/api";
import { useAppStatus } from "../status/api";
import { useThread } from "./api";
import { chronological } from "./layout";
import { MessageList } from "./MessageList";
import { allowsFreeForm, useReplyWindowRefresh } from "./replyWindow";
import { ThreadHeader } from "./ThreadHeader";

type Props = {
  conversationId: string;
  /** The row in the current list, if there: it carries optimistic changes. */
  listRow: ConversationSummary | null;
  /** What was clicked, so the header shows at once while the thread loads. */
  initial: ConversationSummary | null;
  focusMessageId: string | null;
  now: number;
  onToggleUnread: (c: ConversationSummary) => void;
  onToggleDone: (c: ConversationSummary) => void;
  busy: boolean;
};

/**
 * Opening marks read once per opening; after that only a newly arrived inbound message
 * does (so "Mark unread" sticks, and a failing mark_read cannot loop on its own refetch).
 */
function useMarkReadOnOpen(conversation: ConversationSummary | null) {
  // `mutate` keeps its identity across renders, so it does not re-run the effect.
  const { mutate: markRead } = useMarkRead();
  const seen = useRef<{ id: string; lastInboundAt: number | null } | null>(null);
  useEffect(() => {
    if (!conversation) return;
    const { id, unreadCount, markedUnread, lastInboundAt } = conversation;
    const prev = seen.current;
    const opened = prev?.id !== id;
    const newInbound = !opened && lastInboundAt !== prev?.lastInboundAt;
    seen.current = { id, lastInboundAt };
    if ((opened && (unreadCount > 0 || markedUnread)) || (newInbound && unreadCount > 0 && document.hasFocus())) {
      markRead(id);
    }
  }, [conversation, markRead]);
}

export function ThreadPane({ conversationId, listRow, initial, focusMessageId, now, onToggleUnread, onToggleDone, busy }: Props) {
  const thread = useThread(conversationId);
  const conversation = thread.data?.pages[0]?.conversation ?? null;
  useMarkReadOnOpen(conversation);
  const messages = useMemo(() => chronological(thread.data), [thread.data]);
  // Freshest first: the list row (optimistic changes), the thread page, what was clicked.
  const header = listRow ?? conversation ?? initial;
  useReplyWindowRefresh(conversationId, header?.replyWindow);
  const demo = useAppStatus().data?.mode === "demo";
  // The message the next reply answers. The inbox keys this pane by conversation, so a
  // different conversation starts without one, and with an empty composer and no old error.
  const [replyTo, setReplyTo] = useState<ThreadMessage | null>(null);
  const onReply = useCallback((m: ThreadMessage) => setReplyTo(m), []);

  return (
    <section className="thread" data-testid="thread" data-conversation-id={conversationId} aria-label="Conversation">
      {header ? (
        <ThreadHeader conversation={header} now={now} busy={busy} onToggleUnread={() => onToggleUnread(header)} onToggleDone={() => onToggleDone(header)} />
      ) : (
        <HeaderSkeleton />
      )}
      {thread.isPending ? (
        <MessagesSkeleton />
      ) : thread.isError && messages.length === 0 ? (
        <ErrorState error={thread.error} onRetry={() => void thread.refetch()} retrying={thread.isFetching} />
      ) : (
        <MessageList
          conversationId={conversationId}
          messages={messages}
          contactName={header ? displayName(header.contact) : "Customer"}
          hasOlder={thread.hasNextPage}
          loadingOlder={thread.isFetchingNextPage}
          loadOlder={() => void thread.fetchNextPage()}
          focusMessageId={focusMessageId}
          now={now}
          canReact={!demo && header !== undefined && header !== null && allowsFreeForm(header.replyWindow)}
          onReply={onReply}
        />
      )}
      {header ? (
        <Composer
          conversation={header}
          now={now}
          demo={demo}
          replyTo={replyTo}
          replyToName={replyTo?.direction === "inbound" ? displayName(header.contact) : "You"}
          onClearReply={() => setReplyTo(null)}
        />
      ) : null}
    </section>
  );
}

function HeaderSkeleton() {
  return (
    <header className="thread-header" aria-busy="true">
      <div className="thread-header__main">
        <Skeleton width={36} height={36} round />
        <div className="thread-header__who">
          <Skeleton width={140} height={12} />
          <Skeleton width={200} height={9} />
        </div>
      </div>
    </header>
  );
}

function MessagesSkeleton() {
  const rows = [
    { side: "in", w: 220 },
    { side: "in", w: 160 },
    { side: "out", w: 240 },
    { side: "in", w: 190 },
    { side: "out", w: 140 },
    { side: "out", w: 260 },
  ];
  return (
    <div className="messages" aria-busy="true">
      <div className="messages__inner messages__inner--skeleton">
        {rows.map((r, i) => (
          <div key={i} className={`msg msg--${r.side === "in" ? "inbound" : "outbound"}`}>
            <Skeleton width={r.w} height={34} />
          </div>
        ))}
      </div>
    </div>
  );
}

export function ThreadPlaceholder() {
  return (
    <section className="thread thread--empty" aria-label="No conversation selected">
      <div className="placeholder">
        <span className="placeholder__icon">
          <Icon name="inbox" size={26} />
        </span>
        <p className="placeholder__title">Select a conversation</p>
        <ul className="shortcuts">
          <li>
            <span>Next or previous conversation</span>
            <span>
              <Kbd>J</Kbd> <Kbd>K</Kbd> or <Kbd>↑</Kbd> <Kbd>↓</Kbd>
            </span>
          </li>
          <li>
            <span>Search everything</span>
            <span>
              <Kbd>{MOD_KEY}</Kbd> <Kbd>K</Kbd>
            </span>
          </li>
          <li>
            <span>Mark done</span>
            <span>
              <Kbd>E</Kbd>
            </span>
          </li>
          <li>
            <span>Mark unread</span>
            <span>
              <Kbd>U</Kbd>
            </span>
          </li>
        </ul>
      </div>
    </section>
  );
}
