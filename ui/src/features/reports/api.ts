/** Reports: figures for a range, today's live counters, and CSV and PDF files saved where the owner chooses. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type {
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
  return useMutation<ReportCsvWritten, UiError, ReportCsvRequest>({ mutationFn: (r) => call("save_report_csv", r) });
}

export function useSavePdf() {
  return useMutation<ReportPdfWritten, UiError, ReportPdfRequest>({ mutationFn: (r) => call("save_report_pdf", r) });
}

/** New hours change every duration: all report figures are asked again. */
export function useSetBusinessHours() {
  const client = useQueryClient();
  return useMutation<void, UiError, SetBusinessHoursRequest>({
    mutationFn: (r) => call("set_business_hours", r),
    onSuccess: () => void client.invalidateQueries({ queryKey: reportKeys.all }),
  });
}
