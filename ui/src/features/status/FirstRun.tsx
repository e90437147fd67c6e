/** The empty real store: how to connect accounts, and a way to look around first. */
import "./status.css";
import { PLATFORMS } from "../../lib/platform";
import { Icon, type IconName } from "../../ui/Icon";
import { PlatformGlyph } from "../../ui/PlatformGlyph";
import { ErrorState } from "../../ui/states";
import { Logo } from "../../ui/Logo";
import { useState } from "react";
import { AccountsDialog } from "../accounts/AccountsDialog";
import { PairDialog } from "../relay/PairDialog";
import { describeLink, useRelayStatus } from "../relay/api";
import { useEnterDemo } from "./api";

const STEPS: { icon: IconName; title: string; body: string }[] = [
  {
    icon: "server",
    title: "Deploy your relay",
    body: "Run the CAHTS relay on a small server. It receives your messages from Meta and keeps them until this computer picks them up.",
  },
  {
    icon: "key",
    title: "Pair this computer",
    body: "Enter the pairing code your relay shows, so only this computer can read your conversations.",
  },
  {
    icon: "plug",
    title: "Connect your accounts",
    body: "Link your Facebook Pages, Instagram accounts and WhatsApp numbers, so CAHTS can load history and reply.",
  },
];

export function FirstRun() {
  const enterDemo = useEnterDemo();
  const relay = useRelayStatus();
  const [pairing, setPairing] = useState(false);
  const [connecting, setConnecting] = useState(false);
  const paired = relay.data?.relayUrl != null;
  return (
    <main className="first-run" data-testid="first-run">
      <div className="first-run__card">
        <div className="first-run__brand">
          <Logo size={40} />
          <div className="first-run__platforms" aria-label="Messenger, Instagram and WhatsApp">
            {PLATFORMS.map((p) => (
              <PlatformGlyph key={p} platform={p} size={22} decorative />
            ))}
          </div>
        </div>
        <h1 className="first-run__title">Welcome to CAHTS</h1>
        <p className="first-run__lead">Your Instagram, Messenger and WhatsApp conversations, together in one calm inbox.</p>

        <ol className="steps">
          {STEPS.map((s, i) => (
            <li key={s.title} className="step">
              <span className="step__num">{i + 1}</span>
              <div>
                <p className="step__title">
                  <Icon name={s.icon} size={15} />
                  {s.title}
                </p>
                <p className="step__body">{s.body}</p>
              </div>
            </li>
          ))}
        </ol>

        <div className="first-run__cta">
          {relay.data ? (
            <button type="button" className="btn btn--primary btn--lg" data-testid="pair-button" onClick={() => setPairing(true)}>
              <Icon name="key" size={16} />
              {paired ? `Relay: ${describeLink(relay.data.link).label}` : "Pair with your relay"}
            </button>
          ) : null}
          {paired ? (
            <button type="button" className="btn btn--secondary btn--lg" data-testid="accounts-button" onClick={() => setConnecting(true)}>
              <Icon name="plug" size={16} />
              Connect accounts
            </button>
          ) : null}
          <button
            type="button"
            className="btn btn--secondary btn--lg"
            data-testid="demo-button"
            onClick={() => enterDemo.mutate()}
            disabled={enterDemo.isPending}
          >
            <Icon name="sparkles" size={16} />
            {enterDemo.isPending ? "Preparing demo…" : "Explore with demo data"}
          </button>
          <p className="first-run__hint">Generated example conversations, kept apart from your real inbox. Nothing is sent.</p>
        </div>
        {enterDemo.isError ? <ErrorState error={enterDemo.error} compact /> : null}
        {relay.data ? <PairDialog open={pairing} onOpenChange={setPairing} status={relay.data} /> : null}
        <AccountsDialog open={connecting} onOpenChange={setConnecting} />
      </div>
    </main>
  );
}
