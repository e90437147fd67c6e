/** Views (Inbox, Unread, Done, Reports) and per-platform filters with counts from `get_counts`. */
import "./conversations.css";
import { AccountsButton } from "../accounts/AccountsButton";
import { RelayIndicator } from "../relay/RelayIndicator";
import type { Counts, Platform } from "../../ipc/bindings";
import { PLATFORMS, PLATFORM_LABEL } from "../../lib/platform";
import { Icon, type IconName } from "../../ui/Icon";
import { Logo } from "../../ui/Logo";
import { PlatformGlyph } from "../../ui/PlatformGlyph";
import { VIEW_LABEL, type View } from "./filters";

type Props = {
  view: View;
  /** Reports are open instead of the conversation panes. */
  reports: boolean;
  onReports: () => void;
  platform: Platform | null;
  counts: Counts | undefined;
  onView: (v: View) => void;
  onPlatform: (p: Platform | null) => void;
};

const VIEWS: { view: View; icon: IconName; testId?: string }[] = [
  { view: "inbox", icon: "inbox", testId: "filter-inbox" },
  { view: "unread", icon: "unread", testId: "filter-unread" },
  { view: "done", icon: "done", testId: "filter-done" },
];

function viewCount(view: View, counts: Counts | undefined): { n: number; strong: boolean } | null {
  if (!counts) return null;
  if (view === "inbox") return { n: counts.open, strong: false };
  if (view === "unread") return counts.unread > 0 ? { n: counts.unread, strong: true } : null;
  return null;
}

export function Sidebar({ view, reports, onReports, platform, counts, onView, onPlatform }: Props) {
  return (
    <nav className="sidebar" aria-label="Filters">
      <div className="sidebar__brand">
        <Logo size={22} />
        <span className="sidebar__name">CAHTS</span>
      </div>

      <div className="sidebar__group">
        {VIEWS.map((v) => {
          const count = viewCount(v.view, counts);
          return (
            <button
              key={v.view}
              type="button"
              className="nav-item"
              aria-current={!reports && view === v.view ? "page" : undefined}
              data-testid={v.testId}
              onClick={() => onView(v.view)}
              title={VIEW_LABEL[v.view]}
            >
              <Icon name={v.icon} size={16} className="nav-item__icon" />
              <span className="nav-item__label">{VIEW_LABEL[v.view]}</span>
              {count ? <span className={count.strong ? "nav-item__count nav-item__count--strong" : "nav-item__count"}>{count.n}</span> : null}
            </button>
          );
        })}
      </div>

      <div className="sidebar__group">
        <p className="sidebar__heading">Channels</p>
        {PLATFORMS.map((p) => {
          const c = counts?.byPlatform.find((b) => b.platform === p);
          const active = platform === p;
          return (
            <button
              key={p}
              type="button"
              className="nav-item"
              aria-pressed={active}
              data-active={active || undefined}
              data-testid={`platform-filter-${p}`}
              onClick={() => onPlatform(active ? null : p)}
              title={active ? `Show all channels` : `Only ${PLATFORM_LABEL[p]}`}
            >
              <PlatformGlyph platform={p} size={16} decorative className="nav-item__icon" />
              <span className="nav-item__label">{PLATFORM_LABEL[p]}</span>
              {c && c.unread > 0 ? (
                <span className="nav-item__count nav-item__count--strong" aria-label={`${c.unread} unread`}>
                  {c.unread}
                </span>
              ) : null}
            </button>
          );
        })}
      </div>

      <div className="sidebar__group">
        <button type="button" className="nav-item" aria-current={reports ? "page" : undefined} data-testid="open-reports" onClick={onReports} title="Reports">
          <Icon name="chart" size={16} className="nav-item__icon" />
          <span className="nav-item__label">Reports</span>
        </button>
      </div>

      <div className="sidebar__footer">
        <AccountsButton />
        <RelayIndicator />
      </div>
    </nav>
  );
}
