/** Reports: figures for a range, today's live counters, and CSV and PDF files saved where the owner chooses. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type {
  ExportProgress,
  LiveCounters,
  Report,
  ReportCsvRequest,
  ReportCsvWritten,
  ReportPdfRequest,
  ReportPdfWritten,
  ReportRequest,
  SetBusinessHoursRequest,
  UiError,
} from "../../ipc/bindings";
import { call } from "../../ipc/transport";

export const reportKeys = {
  all: ["reports"] as const,
  report: (r: ReportRequest) => [...reportKeys.all, "report", r.from, r.to, r.platform, r.accountId] as const,
  live: () => [...reportKeys.all, "live"] as const,
};

export function useReport(request: ReportRequest) {
  return useQuery<Report, UiError>({
    queryKey: reportKeys.report(request),
    queryFn: () => call("get_report", request),
    // A new range keeps the old charts on screen until its figures arrive.
    placeholderData: keepPreviousData,
  });
}

export function useLiveCounters() {
  return useQuery<LiveCounters, UiError>({ queryKey: reportKeys.live(), queryFn: () => call("live_counters") });
}

export function useSaveCsv() {
  // The Reports view shows the outcome beside the Export button.
  return useMutation<ReportCsvWritten, UiError, ReportCsvRequest>({ mutationFn: (r) => call("save_report_csv", r), meta: { inlineError: true } });
}

export function useSavePdf() {
  return useMutation<ReportPdfWritten, UiError, ReportPdfRequest>({ mutationFn: (r) => call("save_report_pdf", r), meta: { inlineError: true } });
}

/** New hours change every duration: all report figures are asked again. */
export function useSetBusinessHours() {
  const client = useQueryClient();
  return useMutation<void, UiError, SetBusinessHoursRequest>({
    mutationFn: (r) => call("set_business_hours", r),
    // The dialog shows the engine's reason under its fields.
    meta: { inlineError: true },
    onSuccess: () => void client.invalidateQueries({ queryKey: reportKeys.all }),
  });
}

/** How far a CSV export has got, asked a few times a second while it runs. */
export function useExportProgress(exportId: string | null) {
  return useQuery<ExportProgress | null, UiError>({
    queryKey: [...reportKeys.all, "export", exportId],
    queryFn: () => call("export_progress", { exportId: exportId ?? "" }),
    enabled: exportId !== null,
    refetchInterval: 300,
  });
}

export function cancelExport(exportId: string): Promise<void> {
  return call("cancel_export", { exportId });
}
