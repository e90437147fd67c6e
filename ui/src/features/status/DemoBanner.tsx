import "./status.css";
import { Icon } from "../../ui/Icon";
import { useExitDemo } from "./api";

export function DemoBanner() {
  const exitDemo = useExitDemo();
  return (
    <div className="demo-banner" role="status" data-testid="demo-banner">
      <Icon name="sparkles" size={14} />
      <span>
        <strong>Demo data</strong> — these conversations are generated examples, nothing here is real.
      </span>
      <button type="button" className="demo-banner__exit" data-testid="exit-demo" onClick={() => exitDemo.mutate()} disabled={exitDemo.isPending}>
        {exitDemo.isPending ? "Leaving…" : "Exit demo"}
      </button>
    </div>
  );
}
