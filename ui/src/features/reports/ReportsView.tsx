/**
 * Reports: how the business is doing over a range of days. The engine computes every
 * figure (in the computer's time zone); this view picks the range and draws them.
 */
import "./reports.css";
import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import { useMemo, useState, type CSSProperties } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Paper, Platform, Period, Report, ReportCsv, ReportRequest, ResponseBucket, SlowConversation, Totals } from "../../ipc/bindings";
import { pickSavePath } from "../../ipc/transport";
import { PLATFORMS, PLATFORM_LABEL } from "../../lib/platform";
import { Icon } from "../../ui/Icon";
import { PlatformGlyph } from "../../ui/PlatformGlyph";
import { ErrorState } from "../../ui/states";
import { useAccounts } from "../accounts/api";
import { cancelExport, useExportProgress, useLiveCounters, useReport, useSaveCsv, useSavePdf } from "./api";
import { BusinessHoursDialog } from "./BusinessHoursDialog";
import { describeHours } from "./hours";
import { papersFor } from "./paper";
import { PRESET_LABEL, change, formatDuration, presetRange, type Preset } from "./range";

type Props = {
  now: number;
  onOpenConversation: (conversationId: string) => void;
};

const PRESETS: Preset[] = ["today", "7d", "30d", "month", "custom"];
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
// Both charts draw their axes and tooltips in the app's colours, in either scheme.
const AXIS = { tick: { fill: "var(--text-2)", fontSize: 11 }, stroke: "var(--border-strong)" };
const TOOLTIP = {
  contentStyle: { background: "var(--bg)", border: "1px solid var(--border)", color: "var(--text)" },
  cursor: { fill: "var(--bg-hover)" },
};
const PLATFORM_COLOR: Record<Platform, string> = { messenger: "var(--messenger)", instagram: "var(--instagram)", whatsapp: "var(--whatsapp)" };

export function ReportsView({ now, onOpenConversation }: Props) {
  const [preset, setPreset] = useState<Preset>("7d");
  const [custom, setCustom] = useState(() => presetRange("30d", new Date(now)));
  // Which conversations: all, one channel (`p:whatsapp`) or one account (`a:3`).
  const [scope, setScope] = useState("");
  const accounts = useAccounts().data ?? [];
  const [grain, setGrain] = useState<"days" | "weeks">("days");
  const range = preset === "custom" ? custom : presetRange(preset, new Date(now));
  const platform = scope.startsWith("p:") ? (scope.slice(2) as Platform) : null;
  const accountId = scope.startsWith("a:") ? Number(scope.slice(2)) : null;
  const request: ReportRequest = { from: range.from, to: range.to, platform, accountId };
  const report = useReport(request);

  return (
    <section className="reports" data-testid="reports" aria-label="Reports">
      <header className="reports__top">
        <h1>Reports</h1>
        <div className="reports__controls">
          <div className="segmented" role="group" aria-label="Range">
            {PRESETS.map((p) => (
              <button key={p} type="button" aria-pressed={preset === p} data-testid={`range-${p}`} onClick={() => setPreset(p)}>
                {PRESET_LABEL[p]}
              </button>
            ))}
          </div>
          {preset === "custom" ? (
            <span className="reports__custom">
              <label>
                From{" "}
                <input
                  type="date"
                  value={custom.from}
                  max={custom.to}
                  onChange={(e) => setCustom({ ...custom, from: e.target.value })}
                  data-testid="range-from"
                />
              </label>
              <label>
                to{" "}
                <input type="date" value={custom.to} min={custom.from} onChange={(e) => setCustom({ ...custom, to: e.target.value })} data-testid="range-to" />
              </label>
            </span>
          ) : null}
          <select aria-label="Channel or account" value={scope} onChange={(e) => setScope(e.target.value)} data-testid="report-scope">
            <option value="">All channels</option>
            <optgroup label="Channel">
              {PLATFORMS.map((p) => (
                <option key={p} value={`p:${p}`}>
                  {PLATFORM_LABEL[p]}
                </option>
              ))}
            </optgroup>
            {accounts.length > 1 ? (
              <optgroup label="Account">
                {accounts.map((a) => (
                  <option key={a.id} value={`a:${a.id}`}>
                    {a.displayName ?? a.assetId} ({PLATFORM_LABEL[a.platform]})
                  </option>
                ))}
              </optgroup>
            ) : null}
          </select>
          <ExportMenu request={request} />
        </div>
      </header>
      <LiveStrip />
      {report.isPending ? (
        <p className="reports__loading" data-testid="reports-loading">
          Counting…
        </p>
      ) : report.isError ? (
        <ErrorState error={report.error} onRetry={() => void report.refetch()} retrying={report.isFetching} />
      ) : (
        <ReportBody report={report.data} grain={grain} onGrain={setGrain} onOpenConversation={onOpenConversation} />
      )}
    </section>
  );
}

/** Today's counters, refreshed by every change the engine commits. */
function LiveStrip() {
  const live = useLiveCounters();
  if (!live.data) return null;
  const l = live.data;
  return (
    <p className="reports__live" data-testid="live-counters" aria-live="polite">
      <span className="reports__live-dot" aria-hidden="true" />
      Today: <strong data-testid="live-inbound">{l.inboundToday}</strong> from customers · <strong data-testid="live-unanswered">{l.unansweredNow}</strong>{" "}
      waiting for an answer · median first response <strong>{formatDuration(l.medianResponseTodayMs)}</strong>
    </p>
  );
}

function ReportBody({
  report,
  grain,
  onGrain,
  onOpenConversation,
}: {
  report: Report;
  grain: "days" | "weeks";
  onGrain: (g: "days" | "weeks") => void;
  onOpenConversation: (id: string) => void;
}) {
  const t = report.figures.totals;
  const empty = t.inbound + t.outbound === 0;
  const [editingHours, setEditingHours] = useState(false);
  return (
    <div className="reports__body">
      <p className="reports__zone">
        {report.from === report.to ? report.from : `${report.from} – ${report.to}`} · times in {report.timeZone} ·{" "}
        <span data-testid="hours-summary">
          {report.businessHours ? `response times in business hours (${describeHours(report.businessHours)})` : "response times by the clock"}
        </span>{" "}
        <button type="button" className="link-button" onClick={() => setEditingHours(true)} data-testid="open-hours">
          {report.businessHours ? "Change" : "Set business hours"}
        </button>
      </p>
      <BusinessHoursDialog open={editingHours} onOpenChange={setEditingHours} hours={report.businessHours} />
      <Cards totals={t} previous={report.previous} unanswered={report.unansweredNow} />
      {empty ? (
        <div className="reports__empty" data-testid="reports-empty">
          <Icon name="inbox" size={20} />
          <p>No messages in these days. Pick a longer range, or another channel.</p>
        </div>
      ) : (
        <>
          <div className="report-panel">
            <div className="report-panel__head">
              <h2>
                Messages <span className="report-panel__hint">in (solid) and out (light)</span>
              </h2>
              <div className="segmented segmented--small" role="group" aria-label="Per">
                {(["days", "weeks"] as const).map((g) => (
                  <button key={g} type="button" aria-pressed={grain === g} onClick={() => onGrain(g)}>
                    {g === "days" ? "Daily" : "Weekly"}
                  </button>
                ))}
              </div>
            </div>
            <VolumeChart periods={grain === "days" ? report.figures.days : report.figures.weeks} />
          </div>
          <div className="report-grid">
            <div className="report-panel">
              <h2>First response times</h2>
              <ResponseChart buckets={report.figures.responseTimes} />
            </div>
            <div className="report-panel">
              <h2>When customers write</h2>
              <HeatMap cells={report.figures.heatMap} />
            </div>
          </div>
        </>
      )}
      <div className="report-grid">
        <ConversationTable title="Slowest first answers" rows={report.slowest} onOpen={onOpenConversation} testId="slowest" />
        <ConversationTable title="Waiting longest now" rows={report.waitingLongest} onOpen={onOpenConversation} testId="waiting" />
      </div>
    </div>
  );
}

function Cards({ totals, previous, unanswered }: { totals: Totals; previous: Totals; unanswered: number }) {
  const rate = (t: Totals) => (t.waits > 0 ? Math.round((t.answered / t.waits) * 100) : null);
  const cards: { label: string; value: string; delta: number | null; lowerIsBetter?: boolean; testId: string; hint?: string }[] = [
    { label: "Messages in", value: String(totals.inbound), delta: change(totals.inbound, previous.inbound), testId: "card-in" },
    { label: "Messages out", value: String(totals.outbound), delta: change(totals.outbound, previous.outbound), testId: "card-out" },
    {
      label: "New conversations",
      value: String(totals.newConversations),
      delta: change(totals.newConversations, previous.newConversations),
      testId: "card-new",
    },
    {
      label: "Median first response",
      value: formatDuration(totals.firstResponse.medianMs),
      delta: change(totals.firstResponse.medianMs ?? 0, previous.firstResponse.medianMs ?? 0),
      lowerIsBetter: true,
      testId: "card-response",
    },
    { label: "Response rate", value: rate(totals) === null ? "—" : `${rate(totals)}%`, delta: null, testId: "card-rate" },
    { label: "Unanswered now", value: String(unanswered), delta: null, testId: "card-unanswered" },
    {
      label: "Replies after 24 h",
      value: String(totals.lateReplies),
      delta: change(totals.lateReplies, previous.lateReplies),
      lowerIsBetter: true,
      testId: "card-late",
      hint: "Sent when Meta's 24-hour window had closed: templates and tagged messages",
    },
  ];
  return (
    <ul className="report-cards">
      {cards.map((c) => {
        const good = c.delta === null || c.delta === 0 ? null : c.lowerIsBetter ? c.delta < 0 : c.delta > 0;
        return (
          <li key={c.label} className="report-card" data-testid={c.testId} title={c.hint}>
            <span className="report-card__label">{c.label}</span>
            <span className="report-card__value">{c.value}</span>
            {c.delta !== null ? (
              <span className={`report-card__delta${good === null ? "" : good ? " report-card__delta--good" : " report-card__delta--bad"}`}>
                {c.delta > 0 ? "+" : ""}
                {c.delta}% vs previous
              </span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

function VolumeChart({ periods }: { periods: Period[] }) {
  const data = useMemo(
    () =>
      periods.map((p) => ({
        label: p.label.length === 10 ? p.label.slice(5) : p.label,
        ...Object.fromEntries(
          PLATFORMS.flatMap((pl) => [
            [`in_${pl}`, p.inbound[pl]],
            [`out_${pl}`, p.outbound[pl]],
          ]),
        ),
      })),
    [periods],
  );
  return (
    <div className="report-chart" data-testid="volume-chart" role="img" aria-label="Messages in and out per period, by channel">
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid vertical={false} stroke="var(--border)" />
          <XAxis dataKey="label" {...AXIS} />
          <YAxis allowDecimals={false} {...AXIS} />
          <Tooltip {...TOOLTIP} />
          <Legend wrapperStyle={{ fontSize: 12, color: "var(--text-2)" }} formatter={(name: string) => name.replace(/ in$/, "")} />
          {PLATFORMS.map((pl) => (
            <Bar key={`in_${pl}`} dataKey={`in_${pl}`} name={`${PLATFORM_LABEL[pl]} in`} stackId="in" fill={PLATFORM_COLOR[pl]} isAnimationActive={false} />
          ))}
          {PLATFORMS.map((pl) => (
            <Bar
              key={`out_${pl}`}
              dataKey={`out_${pl}`}
              name={`${PLATFORM_LABEL[pl]} out`}
              stackId="out"
              fill={PLATFORM_COLOR[pl]}
              fillOpacity={0.45}
              isAnimationActive={false}
              legendType="none"
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function ResponseChart({ buckets }: { buckets: ResponseBucket[] }) {
  const data = useMemo(() => buckets.map((b) => ({ label: b.label, count: b.count })), [buckets]);
  if (buckets.every((b) => b.count === 0)) return <p className="report-panel__none">No customer was answered in these days.</p>;
  return (
    <div className="report-chart" data-testid="response-chart" role="img" aria-label="How many first responses took how long">
      <ResponsiveContainer width="100%" height={200}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid vertical={false} stroke="var(--border)" />
          <XAxis dataKey="label" {...AXIS} />
          <YAxis allowDecimals={false} {...AXIS} />
          <Tooltip {...TOOLTIP} />
          <Bar dataKey="count" name="Conversations" fill="var(--brand)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function HeatMap({ cells }: { cells: number[][] }) {
  const max = Math.max(1, ...cells.flat());
  return (
    <table className="heat-map" data-testid="heat-map">
      <caption className="visually-hidden">Messages from customers by weekday and hour</caption>
      <thead>
        <tr>
          <th scope="col" />
          {Array.from({ length: 24 }, (_, h) => (
            <th key={h} scope="col">
              {h % 6 === 0 ? h : ""}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {cells.map((hours, d) => (
          <tr key={d}>
            <th scope="row">{WEEKDAYS[d]}</th>
            {hours.map((n, h) => (
              <td key={h} title={`${WEEKDAYS[d]} ${h}:00–${h + 1}:00: ${n} message${n === 1 ? "" : "s"}`} style={{ "--heat": n / max } as CSSProperties}>
                <span className="visually-hidden">{n}</span>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ConversationTable({ title, rows, onOpen, testId }: { title: string; rows: SlowConversation[]; onOpen: (id: string) => void; testId: string }) {
  return (
    <div className="report-panel">
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p className="report-panel__none">Nobody.</p>
      ) : (
        <ul className="report-list" data-testid={testId}>
          {rows.map((r) => (
            <li key={`${r.conversationId}-${r.askedAt}`}>
              <button type="button" className="report-list__row" onClick={() => onOpen(r.conversationId)}>
                <PlatformGlyph platform={r.platform} size={14} decorative />
                <span className="report-list__who">{r.contactName ?? "Customer"}</span>
                <span className="report-list__time">
                  {r.firstResponseMs === null ? `waiting since ${new Date(r.askedAt).toLocaleString()}` : formatDuration(r.firstResponseMs)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const CSV_FILES: { kind: ReportCsv; label: string; withText?: boolean }[] = [
  { kind: "daily", label: "Daily figures" },
  { kind: "conversations", label: "Conversations" },
  { kind: "messages", label: "Messages (no texts)" },
  { kind: "messages", label: "Messages with texts", withText: true },
];

/** Rows written so far (of how many, when known), with a way to stop. */
function ExportProgressLine({ exportId }: { exportId: string }) {
  const progress = useExportProgress(exportId).data;
  const rows = progress?.rows ?? 0;
  const total = progress?.total ?? null;
  return (
    <span className="reports__saved reports__progress" data-testid="export-progress" role="status">
      <progress max={total ?? undefined} value={total === null ? undefined : rows} aria-label="Export progress" />
      {total === null ? `${rows.toLocaleString()} rows` : `${rows.toLocaleString()} of ${total.toLocaleString()} rows`}
      <button type="button" className="link-button" onClick={() => void cancelExport(exportId)} data-testid="export-cancel">
        Cancel
      </button>
    </span>
  );
}

const PAPER_LABEL: Record<Paper, string> = { a4: "PDF report (A4)", letter: "PDF report (US Letter)" };

function ExportMenu({ request }: { request: ReportRequest }) {
  const csv = useSaveCsv();
  const pdf = useSavePdf();
  const pending = csv.isPending || pdf.isPending;
  // The last export's outcome is the one shown.
  const [last, setLast] = useState<"csv" | "pdf" | null>(null);
  const [exportId, setExportId] = useState<string | null>(null);
  const exportCsv = async (kind: ReportCsv, withText: boolean) => {
    const path = await pickSavePath("Save the report as CSV", `cahts-${kind}-${request.from}-${request.to}.csv`, "csv");
    if (path === null) return;
    setLast("csv");
    const id = crypto.randomUUID();
    setExportId(id);
    csv.mutate({ report: request, kind, withText, path, exportId: id }, { onSettled: () => setExportId(null) });
  };
  const exportPdf = async (paper: Paper) => {
    const path = await pickSavePath("Save the report as PDF", `cahts-report-${request.from}-${request.to}.pdf`, "pdf");
    if (path === null) return;
    setLast("pdf");
    pdf.mutate({ report: request, paper, path });
  };
  const outcome = last === "pdf" ? pdf : last === "csv" ? csv : null;
  return (
    <div className="reports__export">
      <DropdownMenu.Root>
        <DropdownMenu.Trigger asChild>
          <button type="button" className="btn btn--secondary" data-testid="export-menu" disabled={pending}>
            <Icon name="file" size={14} /> {pending ? "Saving…" : "Export"}
          </button>
        </DropdownMenu.Trigger>
        <DropdownMenu.Portal>
          <DropdownMenu.Content className="menu" align="end" sideOffset={4}>
            {papersFor(navigator.language).map((paper) => (
              <DropdownMenu.Item key={paper} className="menu__item" onSelect={() => void exportPdf(paper)} data-testid={`export-pdf-${paper}`}>
                {PAPER_LABEL[paper]}
              </DropdownMenu.Item>
            ))}
            <DropdownMenu.Separator className="menu__separator" />
            <DropdownMenu.Label className="menu__label">CSV for spreadsheets</DropdownMenu.Label>
            {CSV_FILES.map((f) => (
              <DropdownMenu.Item
                key={f.label}
                className="menu__item"
                onSelect={() => void exportCsv(f.kind, f.withText ?? false)}
                data-testid={`export-${f.kind}${f.withText ? "-text" : ""}`}
              >
                {f.label}
              </DropdownMenu.Item>
            ))}
          </DropdownMenu.Content>
        </DropdownMenu.Portal>
      </DropdownMenu.Root>
      {exportId !== null ? (
        <ExportProgressLine exportId={exportId} />
      ) : last === "csv" && csv.isSuccess ? (
        <span className="reports__saved" data-testid="export-saved" role="status">
          Saved {csv.data.rows} rows
        </span>
      ) : last === "pdf" && pdf.isSuccess ? (
        <span className="reports__saved" data-testid="export-saved" role="status">
          Saved the PDF ({pdf.data.pages} {pdf.data.pages === 1 ? "page" : "pages"})
        </span>
      ) : outcome?.isError && outcome.error.code === "Cancelled" ? (
        <span className="reports__saved" data-testid="export-cancelled" role="status">
          {outcome.error.message}
        </span>
      ) : outcome?.isError ? (
        <span className="reports__saved reports__saved--error" data-testid="export-error" role="alert">
          {outcome.error.message} {outcome.error.action ?? ""}
        </span>
      ) : null}
    </div>
  );
}
