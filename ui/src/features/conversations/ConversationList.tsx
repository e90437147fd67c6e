/**
 * The conversation list: virtualized (a shop can have thousands of conversations) and
 * fetched page by page with the store's keyset cursor as the end comes into view.
 */
import "./conversations.css";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import type { ConversationSummary, UiError } from "../../ipc/bindings";
import { EmptyState, ErrorState, Skeleton, Spinner } from "../../ui/states";
import { ConversationRow } from "./ConversationRow";

export const ROW_HEIGHT = 64;

type Props = {
  items: ConversationSummary[];
  selectedId: string | null;
  now: number;
  isPending: boolean;
  error: UiError | null;
  isRefetching: boolean;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => void;
  retry: () => void;
  empty: { title: string; body: string };
  onOpen: (c: ConversationSummary) => void;
};

export function ConversationList(props: Props) {
  const { items, selectedId, hasNextPage, isFetchingNextPage, fetchNextPage } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const count = items.length + (hasNextPage ? 1 : 0);
  // No value from the virtualizer reaches a memoized component or hook.
  // eslint-disable-next-line react-hooks/incompatible-library -- a React Compiler notice; the window is not compiled with it
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    getItemKey: (i) => items[i]?.id ?? "loader",
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastVisible = virtualItems[virtualItems.length - 1]?.index ?? -1;

  // Ask for the next page a few rows before the end becomes visible.
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastVisible >= items.length - 5) fetchNextPage();
  }, [lastVisible, items.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  // Keyboard moves can leave the viewport: bring the selection back into view.
  const selectedIndex = selectedId ? items.findIndex((c) => c.id === selectedId) : -1;
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: "auto" });
  }, [selectedIndex, virtualizer]);

  if (props.isPending) return <ListSkeleton />;
  if (props.error && items.length === 0) {
    return <ErrorState error={props.error} onRetry={props.retry} retrying={props.isRefetching} />;
  }
  if (items.length === 0) {
    return (
      <EmptyState icon="inbox" title={props.empty.title} testId="list-empty">
        {props.empty.body}
      </EmptyState>
    );
  }

  return (
    <div ref={scrollRef} className="list scroll" role="listbox" aria-label="Conversations" data-testid="conversation-list" tabIndex={-1}>
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualItems.map((v) => {
          const c = items[v.index];
          return (
            <div key={v.key} className="list__slot" style={{ height: v.size, transform: `translateY(${v.start}px)` }}>
              {c ? (
                <ConversationRow conversation={c} selected={c.id === selectedId} now={props.now} onOpen={props.onOpen} />
              ) : (
                <div className="list__loader">
                  <Spinner /> Loading more…
                </div>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

export function ListSkeleton() {
  return (
    <div className="list" aria-busy="true" data-testid="list-loading">
      {Array.from({ length: 8 }, (_, i) => (
        <div key={i} className="row row--skeleton">
          <Skeleton width={38} height={38} round />
          <div className="row__main">
            <div className="row__line">
              <Skeleton width={`${40 + ((i * 17) % 30)}%`} height={11} />
              <Skeleton width={32} height={9} />
            </div>
            <div className="row__line">
              <Skeleton width={`${55 + ((i * 23) % 35)}%`} height={9} />
            </div>
          </div>
        </div>
      ))}
    </div>
  );
}
