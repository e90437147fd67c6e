/**
 * The three panes: filters, the list (or search results), the open conversation. This
 * component owns what is selected and the keyboard; the panes only draw.
 */
import { useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { Suspense, lazy, useEffect, useMemo, useRef, useState } from "react";
import { useConversations, useCounts, useMarkRead, useMarkUnread, useSetState } from "../features/conversations/api";
import { ConversationList } from "../features/conversations/ConversationList";
import { isUnread } from "../features/conversations/ConversationRow";
import { VIEW_LABEL, emptyText, viewFilter, type View } from "../features/conversations/filters";
import { Sidebar } from "../features/conversations/Sidebar";
import { useSearch } from "../features/search/api";
import { SearchField } from "../features/search/SearchField";
import { SearchResults, searchTargets, type SearchTarget } from "../features/search/SearchResults";
import { threadKeys } from "../features/thread/api";
import { ThreadPane, ThreadPlaceholder } from "../features/thread/ThreadPane";
import type { ConversationSummary, Platform, ThreadPage } from "../ipc/bindings";
import { isModKey, isTyping } from "../lib/keys";
import { PLATFORM_LABEL } from "../lib/platform";
import { useNow } from "../lib/useNow";
import { Icon } from "../ui/Icon";
import { PlatformGlyph } from "../ui/PlatformGlyph";

// Reports and their chart library load when first opened, so starting the inbox does not pay for them.
const ReportsView = lazy(() => import("../features/reports/ReportsView").then((m) => ({ default: m.ReportsView })));

/** Something that can be opened: a list row, a person found, or a message found. */
type Selection = {
  key: string;
  conversationId: string;
  summary: ConversationSummary | null;
  messageId: string | null;
};

function fromConversation(c: ConversationSummary): Selection {
  return { key: c.id, conversationId: c.id, summary: c, messageId: null };
}

function fromTarget(t: SearchTarget): Selection {
  return t.kind === "person"
    ? { key: t.key, conversationId: t.conversation.id, summary: t.conversation, messageId: null }
    : { key: t.key, conversationId: t.hit.conversationId, summary: null, messageId: t.hit.messageId };
}

function clamp(n: number, min: number, max: number) {
  return Math.min(max, Math.max(min, n));
}

export function Inbox() {
  const client = useQueryClient();
  const now = useNow();
  const [view, setView] = useState<View>("inbox");
  const [reports, setReports] = useState(false);
  const [platform, setPlatform] = useState<Platform | null>(null);
  const [query, setQuery] = useState("");
  const [selection, setSelection] = useState<Selection | null>(null);
  // Where the selection was, for when its row leaves the list (read, done).
  const lastIndex = useRef(0);
  const searchRef = useRef<HTMLInputElement>(null);

  const list = useConversations(viewFilter(view, platform));
  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const counts = useCounts();
  const searching = query.trim().length > 0;
  const search = useSearch(query);
  const targets = useMemo(() => searchTargets(search.data), [search.data]);
  const navigable = useMemo(() => (searching ? targets.map(fromTarget) : items.map(fromConversation)), [searching, targets, items]);

  const markRead = useMarkRead();
  const markUnread = useMarkUnread();
  const setState = useSetState();

  // The freshest summary of the open conversation: list rows carry optimistic changes.
  const listRow = selection ? (items.find((c) => c.id === selection.conversationId) ?? null) : null;
  const current = (): ConversationSummary | null =>
    selection
      ? (items.find((c) => c.id === selection.conversationId) ??
        client.getQueryData<InfiniteData<ThreadPage>>(threadKeys.detail(selection.conversationId))?.pages[0]?.conversation ??
        selection.summary)
      : null;

  const select = (s: Selection | null) => {
    setSelection(s);
    if (s) {
      const i = navigable.findIndex((n) => n.key === s.key);
      if (i >= 0) lastIndex.current = i;
    }
  };

  const move = (delta: number) => {
    if (navigable.length === 0) return;
    // By key first; a message found by search is then found again as its conversation's row.
    const byKey = selection ? navigable.findIndex((n) => n.key === selection.key) : -1;
    const i = byKey >= 0 || !selection ? byKey : navigable.findIndex((n) => n.conversationId === selection.conversationId);
    let next: number;
    if (i >= 0) next = i + delta;
    else if (selection && !searching) next = delta > 0 ? lastIndex.current : lastIndex.current - 1;
    else next = delta > 0 ? 0 : navigable.length - 1;
    const target = navigable[clamp(next, 0, navigable.length - 1)];
    if (target) select(target);
    if (!searching && next >= items.length - 3 && list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
  };

  const toggleUnread = (c: ConversationSummary) => {
    if (isUnread(c)) markRead.mutate(c.id);
    else markUnread.mutate(c.id);
  };

  const toggleDone = (c: ConversationSummary) => {
    const state = c.state === "done" ? "open" : "done";
    const leavesView = (view === "inbox" && state === "done") || (view === "done" && state === "open");
    setState.mutate({ conversationId: c.id, state });
    if (leavesView && !searching) {
      // Like archiving mail: move on to the next conversation.
      const i = items.findIndex((x) => x.id === c.id);
      const neighbour = items[i + 1] ?? items[i - 1];
      select(neighbour ? fromConversation(neighbour) : null);
    }
  };

  const focusSearch = () => {
    searchRef.current?.focus();
    searchRef.current?.select();
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // The list's keys mean nothing while Reports take its place.
      if (reports) return;
      if (isModKey(e) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        focusSearch();
        return;
      }
      if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey || isTyping(e.target)) return;
      const inScroller = e.target instanceof HTMLElement && e.target.closest("[data-arrow-scroll]");
      switch (e.key) {
        case "j":
          move(1);
          break;
        case "k":
          move(-1);
          break;
        case "ArrowDown":
        case "ArrowUp":
          if (inScroller) return; // let the thread scroll
          move(e.key === "ArrowDown" ? 1 : -1);
          break;
        case "e":
        case "u": {
          const c = current();
          if (!c) return;
          if (e.key === "e") toggleDone(c);
          else toggleUnread(c);
          break;
        }
        case "/":
          focusSearch();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const changeView = (v: View) => {
    setView(v);
    setReports(false);
    setQuery("");
  };
  const openFromReport = (conversationId: string) => {
    setReports(false);
    setView("inbox");
    setQuery("");
    setSelection({ key: conversationId, conversationId, summary: null, messageId: null });
  };

  return (
    <div className="inbox">
      <Sidebar
        view={view}
        reports={reports}
        onReports={() => setReports(true)}
        platform={platform}
        counts={counts.data}
        onView={changeView}
        onPlatform={(p) => {
          setPlatform(p);
          setReports(false);
          setQuery("");
        }}
      />
      {reports ? (
        <Suspense fallback={<section className="reports" aria-busy="true" />}>
          <ReportsView now={now} onOpenConversation={openFromReport} />
        </Suspense>
      ) : (
        <>
          <div className="list-pane">
            <div className="list-pane__top">
              <SearchField
                ref={searchRef}
                value={query}
                onChange={setQuery}
                onMove={move}
                onEnter={() => {
                  const first = navigable[0];
                  if (first && !navigable.some((n) => n.key === selection?.key)) select(first);
                }}
                busy={searching && search.settling && search.isFetching}
              />
              {!searching ? (
                <div className="list-pane__title">
                  <h1>{VIEW_LABEL[view]}</h1>
                  {platform ? (
                    <button type="button" className="chip" onClick={() => setPlatform(null)} title="Show all channels">
                      <PlatformGlyph platform={platform} size={12} decorative />
                      {PLATFORM_LABEL[platform]}
                      <Icon name="x" size={11} />
                    </button>
                  ) : null}
                </div>
              ) : null}
            </div>
            {searching ? (
              <SearchResults
                query={query}
                results={search.data}
                isPending={search.isPending || search.settling}
                error={search.error}
                retry={() => void search.refetch()}
                settling={search.settling}
                activeKey={selection?.key ?? null}
                now={now}
                onOpen={(t) => select(fromTarget(t))}
              />
            ) : (
              <ConversationList
                items={items}
                selectedId={selection?.conversationId ?? null}
                now={now}
                isPending={list.isPending}
                error={list.error}
                isRefetching={list.isRefetching}
                hasNextPage={list.hasNextPage}
                isFetchingNextPage={list.isFetchingNextPage}
                fetchNextPage={() => void list.fetchNextPage()}
                retry={() => void list.refetch()}
                empty={emptyText(view, platform)}
                onOpen={(c) => select(fromConversation(c))}
              />
            )}
          </div>
          {selection ? (
            <ThreadPane
              key={selection.conversationId}
              conversationId={selection.conversationId}
              listRow={listRow}
              initial={selection.summary}
              focusMessageId={selection.messageId}
              now={now}
              busy={setState.isPending}
              onToggleUnread={toggleUnread}
              onToggleDone={toggleDone}
            />
          ) : (
            <ThreadPlaceholder />
          )}
        </>
      )}
    </div>
  );
}
