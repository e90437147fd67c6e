/** Chooses the screen: first run, or the inbox (with the demo banner in demo mode). */
import "./app.css";
import { useAppStatus } from "../features/status/api";
import { DemoBanner } from "../features/status/DemoBanner";
import { FirstRun } from "../features/status/FirstRun";
import { ErrorState, Spinner } from "../ui/states";
import { Toaster } from "../ui/toast";
import { useStoreChanges } from "./changes";
import { Inbox } from "./Inbox";

export function App() {
  useStoreChanges();
  const status = useAppStatus();

  let screen;
  if (status.isPending) {
    screen = (
      <div className="splash">
        <Spinner size={18} />
      </div>
    );
  } else if (status.isError) {
    screen = (
      <div className="splash">
        <ErrorState error={status.error} onRetry={() => void status.refetch()} retrying={status.isFetching} />
      </div>
    );
  } else if (status.data.mode === "real" && status.data.empty) {
    screen = <FirstRun />;
  } else {
    screen = (
      <>
        {status.data.mode === "demo" ? <DemoBanner /> : null}
        {/* Keyed by store: selection and scroll positions do not carry across stores. */}
        <Inbox key={status.data.mode} />
      </>
    );
  }

  return (
    <div className="app">
      {screen}
      <Toaster />
    </div>
  );
}
