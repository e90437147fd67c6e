/** Search results in the list column: matching people, then matching messages. */
import "./search.css";
import type { ConversationSummary, MessageHit, SearchResults as Results, UiError } from "../../ipc/bindings";
import { formatFull, formatListTime } from "../../lib/time";
import { PlatformGlyph } from "../../ui/PlatformGlyph";
import { EmptyState, ErrorState, Skeleton } from "../../ui/states";
import { ConversationRow } from "../conversations/ConversationRow";
import { Snippet } from "./Snippet";

export type SearchTarget = { kind: "person"; key: string; conversation: ConversationSummary } | { kind: "message"; key: string; hit: MessageHit };

/** People first, then messages: the order the keyboard walks them in. */
export function searchTargets(results: Results | undefined): SearchTarget[] {
  if (!results) return [];
  return [
    ...results.conversations.map((c): SearchTarget => ({ kind: "person", key: `c:${c.id}`, conversation: c })),
    ...results.messages.map((h): SearchTarget => ({ kind: "message", key: `m:${h.messageId}`, hit: h })),
  ];
}

type Props = {
  query: string;
  results: Results | undefined;
  isPending: boolean;
  error: UiError | null;
  retry: () => void;
  settling: boolean;
  activeKey: string | null;
  now: number;
  onOpen: (t: SearchTarget) => void;
};

export function SearchResults({ query, results, isPending, error, retry, settling, activeKey, now, onOpen }: Props) {
  if (error) return <ErrorState error={error} onRetry={retry} />;
  if (!results) return isPending ? <SearchSkeleton /> : null;
  const targets = searchTargets(results);
  const people = targets.filter((t) => t.kind === "person");
  const messages = targets.filter((t) => t.kind === "message");
  if (targets.length === 0) {
    return (
      <EmptyState icon="search" title={`No matches for “${query.trim()}”`} testId="search-empty">
        Try a name, a phone number or a word from a message.
      </EmptyState>
    );
  }
  return (
    <div className="search-results scroll" data-testid="search-results" aria-busy={settling || undefined} role="listbox" aria-label="Search results">
      {people.length > 0 ? (
        <section>
          <h2 className="section-title">People</h2>
          {people.map((t) =>
            t.kind === "person" ? (
              <ConversationRow key={t.key} conversation={t.conversation} selected={t.key === activeKey} now={now} onOpen={() => onOpen(t)} />
            ) : null,
          )}
        </section>
      ) : null}
      {messages.length > 0 ? (
        <section>
          <h2 className="section-title">Messages</h2>
          {messages.map((t) =>
            t.kind === "message" ? <HitRow key={t.key} hit={t.hit} selected={t.key === activeKey} now={now} onOpen={() => onOpen(t)} /> : null,
          )}
        </section>
      ) : null}
    </div>
  );
}

function HitRow({ hit, selected, now, onOpen }: { hit: MessageHit; selected: boolean; now: number; onOpen: () => void }) {
  const name = hit.contactName?.trim() || "Customer";
  return (
    <div role="option" aria-selected={selected} className="hit" data-testid="search-hit" data-conversation-id={hit.conversationId} onClick={onOpen}>
      <div className="hit__line">
        <PlatformGlyph platform={hit.platform} size={14} />
        <span className="hit__name">{hit.direction === "outbound" ? `You → ${name}` : name}</span>
        <time className="hit__time" title={formatFull(hit.sentAt)}>
          {formatListTime(hit.sentAt, now)}
        </time>
      </div>
      <p className="hit__snippet">
        <Snippet parts={hit.snippet} />
      </p>
    </div>
  );
}

function SearchSkeleton() {
  return (
    <div className="search-results" aria-busy="true">
      <h2 className="section-title">Searching…</h2>
      {Array.from({ length: 4 }, (_, i) => (
        <div key={i} className="hit">
          <div className="hit__line">
            <Skeleton width={14} height={14} round />
            <Skeleton width={`${30 + i * 9}%`} height={10} />
          </div>
          <Skeleton width={`${70 - i * 6}%`} height={9} />
        </div>
      ))}
    </div>
  );
}
