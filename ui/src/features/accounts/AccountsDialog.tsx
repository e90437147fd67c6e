/**
 * Accounts: what is connected and in what state; connect WhatsApp, Facebook Pages (with
 * their Instagram accounts) or an Instagram account on its own; disconnect.
 */
import "../../ui/forms.css";
import "./accounts.css";
import { useEffect, useState, type FormEvent } from "react";
import type { AccountView, UiError } from "../../ipc/bindings";
import { openInBrowser } from "../../ipc/transport";
import { PLATFORM_LABEL } from "../../lib/platform";
import { useNow } from "../../lib/useNow";
import { DialogFrame } from "../../ui/DialogFrame";
import { FormError } from "../../ui/FormError";
import { Icon } from "../../ui/Icon";
import { PlatformGlyph } from "../../ui/PlatformGlyph";
import {
  describeAccount,
  useAccounts,
  useBeginFacebookLogin,
  useConnectPages,
  useConnectWhatsapp,
  useDisconnect,
  useBeginInstagramLogin,
  useFacebookLoginStatus,
  useInstagramLoginStatus,
} from "./api";

type Pane = "list" | "whatsapp" | "facebook" | "instagram";

/** The login page, opened in the owner's browser, with the address to copy as a fallback. */
function LoginWait({ url, service, failed }: { url: string; service: string; failed: string | null }) {
  const [openError, setOpenError] = useState<string | null>(null);
  useEffect(() => {
    openInBrowser(url).catch((e: UiError) => setOpenError(e.message));
  }, [url]);
  return (
    <div className="login-wait" data-testid="login-waiting">
      <p>
        {openError
          ? `Open this address in your browser and log in to ${service}:`
          : `Log in to ${service} in the browser window that opened. If none did, open:`}
        <br />
        <span className="login-wait__url" data-testid="login-url">
          {url}
        </span>
      </p>
      <div className="dialog__actions dialog__actions--start">
        <button type="button" className="btn btn--ghost" onClick={() => void openInBrowser(url).catch((e: UiError) => setOpenError(e.message))}>
          Open again
        </button>
        <button type="button" className="btn btn--ghost" onClick={() => void navigator.clipboard?.writeText(url)}>
          Copy address
        </button>
      </div>
      {failed ? <InlineError error={{ message: failed, action: "Log in again." }} /> : <p className="login-wait__hint">Waiting for the login…</p>}
    </div>
  );
}

export function AccountsDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const [pane, setPane] = useState<Pane>("list");
  const change = (next: boolean) => {
    if (!next) setPane("list");
    onOpenChange(next);
  };
  return (
    <DialogFrame open={open} onOpenChange={change} icon="plug" title="Accounts" testId="accounts-dialog" wide closeButton>
      {pane === "list" ? <AccountList onConnect={setPane} /> : null}
      {pane === "whatsapp" ? <ConnectWhatsapp onDone={() => setPane("list")} /> : null}
      {pane === "facebook" ? <ConnectFacebook onDone={() => setPane("list")} /> : null}
      {pane === "instagram" ? <ConnectInstagram onDone={() => setPane("list")} /> : null}
    </DialogFrame>
  );
}

function AccountList({ onConnect }: { onConnect: (pane: Pane) => void }) {
  const accounts = useAccounts();
  // A rate limit's "paused for N min" counts down while the dialog stays open.
  const now = useNow();
  const list = (accounts.data ?? []).filter((a) => a.status !== "unverified");
  return (
    <>
      {list.length === 0 ? (
        <p className="dialog__lead">No account is connected yet. Messages from the relay still arrive; connecting lets CAHTS load history and reply.</p>
      ) : (
        <ul className="account-list" data-testid="account-list">
          {list.map((a) => (
            <AccountRow key={a.id} account={a} now={now} />
          ))}
        </ul>
      )}
      <div className="dialog__actions dialog__actions--start">
        <button type="button" className="btn btn--secondary" data-testid="connect-facebook" onClick={() => onConnect("facebook")}>
          <PlatformGlyph platform="messenger" size={15} decorative />
          Connect Facebook Pages
        </button>
        <button type="button" className="btn btn--secondary" data-testid="connect-whatsapp" onClick={() => onConnect("whatsapp")}>
          <PlatformGlyph platform="whatsapp" size={15} decorative />
          Connect WhatsApp
        </button>
        <button type="button" className="btn btn--secondary" data-testid="connect-instagram" onClick={() => onConnect("instagram")}>
          <PlatformGlyph platform="instagram" size={15} decorative />
          Instagram without a Page
        </button>
      </div>
    </>
  );
}

function AccountRow({ account, now }: { account: AccountView; now: number }) {
  const disconnect = useDisconnect();
  const [confirming, setConfirming] = useState(false);
  const [deleteData, setDeleteData] = useState(false);
  const { label, tone } = describeAccount(account, now);
  return (
    <li className="account-row" data-testid="account-row" data-status={account.status}>
      <PlatformGlyph platform={account.platform} size={18} decorative />
      <div className="account-row__main">
        <p className="account-row__name">{account.displayName ?? account.assetId}</p>
        <p className="account-row__meta">
          {PLATFORM_LABEL[account.platform]} · <span className={`account-row__state account-row__state--${tone}`}>{label}</span>
        </p>
        {account.statusDetail ? <p className="account-row__detail">{account.statusDetail}</p> : null}
        {account.history ? <HistoryLine history={account.history} /> : null}
        {confirming ? (
          <div className="account-row__confirm">
            <label className="checkbox">
              <input type="checkbox" checked={deleteData} onChange={(e) => setDeleteData(e.target.checked)} data-testid="delete-data" />
              Also delete its conversations from this computer
            </label>
            <div className="dialog__actions dialog__actions--start">
              <button
                type="button"
                className="btn btn--danger"
                data-testid="confirm-disconnect"
                disabled={disconnect.isPending}
                onClick={() => disconnect.mutate({ accountId: account.id, deleteData })}
              >
                {disconnect.isPending ? "Disconnecting…" : "Disconnect"}
              </button>
              <button type="button" className="btn btn--ghost" onClick={() => setConfirming(false)}>
                Keep connected
              </button>
            </div>
          </div>
        ) : null}
      </div>
      {!confirming && account.status !== "disconnected" ? (
        <button type="button" className="btn btn--ghost" data-testid="disconnect" onClick={() => setConfirming(true)}>
          Disconnect
        </button>
      ) : null}
    </li>
  );
}

function HistoryLine({ history }: { history: NonNullable<AccountView["history"]> }) {
  const count = `${history.conversations} conversation${history.conversations === 1 ? "" : "s"}`;
  if (history.running) {
    return (
      <div className="history-line" data-testid="history-progress">
        <span className="history-line__bar" role="progressbar" aria-label="Loading history" />
        <span>Loading history… {count} so far</span>
      </div>
    );
  }
  return (
    <p className="account-row__detail" data-testid="history-done">
      {history.error ? `History: ${count} loaded. ${history.error}` : `History loaded: ${count}.`}
    </p>
  );
}

function InlineError({ error }: { error: { message: string; action: string | null } | null }) {
  return <FormError error={error} testId="account-error" />;
}

function ConnectWhatsapp({ onDone }: { onDone: () => void }) {
  const connect = useConnectWhatsapp();
  const [phoneNumberId, setPhoneNumberId] = useState("");
  const [token, setToken] = useState("");
  const [businessAccountId, setBusinessAccountId] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    connect.mutate({ phoneNumberId: phoneNumberId.trim(), token: token.trim(), businessAccountId: businessAccountId.trim() || null }, { onSuccess: onDone });
  };
  return (
    <form className="form" onSubmit={submit}>
      <p className="dialog__lead">
        In Meta Business Settings, create a system user with access to your WhatsApp account and generate a token with the whatsapp_business_messaging and
        whatsapp_business_management permissions. CAHTS checks it with Meta and keeps it in your system keyring.
      </p>
      <label className="form__field">
        <span className="form__label">Phone number ID</span>
        <input className="input" data-testid="wa-phone-id" inputMode="numeric" value={phoneNumberId} onChange={(e) => setPhoneNumberId(e.target.value)} />
      </label>
      <label className="form__field">
        <span className="form__label">System-user token</span>
        <input className="input" data-testid="wa-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
      </label>
      <label className="form__field">
        <span className="form__label">WhatsApp Business Account ID (optional: found from the token when left empty; needed for templates)</span>
        <input
          className="input"
          data-testid="wa-business-id"
          inputMode="numeric"
          value={businessAccountId}
          onChange={(e) => setBusinessAccountId(e.target.value)}
        />
      </label>
      <InlineError error={connect.error} />
      <div className="dialog__actions">
        <button type="button" className="btn btn--ghost" onClick={onDone}>
          Back
        </button>
        <button type="submit" className="btn btn--primary" data-testid="wa-submit" disabled={!phoneNumberId.trim() || !token.trim() || connect.isPending}>
          {connect.isPending ? "Checking with Meta…" : "Connect"}
        </button>
      </div>
    </form>
  );
}

function ConnectFacebook({ onDone }: { onDone: () => void }) {
  const begin = useBeginFacebookLogin();
  const login = useFacebookLoginStatus(begin.data?.state ?? null);
  const connect = useConnectPages();
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const [withInstagram, setWithInstagram] = useState(true);
  const status = login.data;
  const pages = status?.state === "ready" ? status.pages : [];
  const selected = chosen ?? new Set(pages.map((p) => p.pageId));
  return (
    <div className="form">
      <p className="dialog__lead">
        Log in with Facebook in your browser and choose the Pages to connect. The login goes through your relay, which passes the access to this computer only.
      </p>
      {!begin.data ? (
        <button type="button" className="btn btn--primary" data-testid="fb-begin" disabled={begin.isPending} onClick={() => begin.mutate()}>
          {begin.isPending ? "Asking the relay…" : "Log in with Facebook"}
        </button>
      ) : status?.state !== "ready" ? (
        <LoginWait url={begin.data.authorizeUrl} service="Facebook" failed={status?.state === "failed" ? status.message : null} />
      ) : (
        <>
          <ul className="account-list" data-testid="page-choices">
            {pages.map((p) => (
              <li key={p.pageId} className="account-row">
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={selected.has(p.pageId)}
                    onChange={(e) => {
                      const next = new Set(selected);
                      if (e.target.checked) next.add(p.pageId);
                      else next.delete(p.pageId);
                      setChosen(next);
                    }}
                  />
                  <span>
                    {p.name}
                    {p.instagramUsername ? <span className="account-row__meta"> · Instagram @{p.instagramUsername}</span> : null}
                  </span>
                </label>
              </li>
            ))}
          </ul>
          <label className="checkbox">
            <input type="checkbox" checked={withInstagram} onChange={(e) => setWithInstagram(e.target.checked)} />
            Also connect the linked Instagram accounts
          </label>
        </>
      )}
      <InlineError error={begin.error ?? connect.error ?? login.error ?? null} />
      <div className="dialog__actions">
        <button type="button" className="btn btn--ghost" onClick={onDone}>
          Back
        </button>
        {status?.state === "ready" ? (
          <button
            type="button"
            className="btn btn--primary"
            data-testid="fb-connect"
            disabled={selected.size === 0 || connect.isPending}
            onClick={() => connect.mutate({ state: begin.data!.state, pageIds: [...selected], withInstagram }, { onSuccess: onDone })}
          >
            {connect.isPending ? "Connecting…" : `Connect ${selected.size} Page${selected.size === 1 ? "" : "s"}`}
          </button>
        ) : null}
      </div>
    </div>
  );
}

function ConnectInstagram({ onDone }: { onDone: () => void }) {
  const begin = useBeginInstagramLogin();
  const login = useInstagramLoginStatus(begin.data?.state ?? null);
  const status = login.data;
  return (
    <div className="form">
      <p className="dialog__lead">
        For an Instagram professional account that is not linked to a Facebook Page. Log in with Instagram in your browser; the login goes through your relay,
        which passes the access to this computer only. CAHTS renews it before its 60 days run out.
      </p>
      {!begin.data ? (
        <button type="button" className="btn btn--primary" data-testid="ig-begin" disabled={begin.isPending} onClick={() => begin.mutate()}>
          {begin.isPending ? "Asking the relay…" : "Log in with Instagram"}
        </button>
      ) : status?.state === "connected" ? (
        <p className="dialog__lead" data-testid="ig-connected">
          <Icon name="check" size={15} /> {status.account.displayName ?? status.account.assetId} is connected.
        </p>
      ) : (
        <LoginWait url={begin.data.authorizeUrl} service="Instagram" failed={status?.state === "failed" ? status.message : null} />
      )}
      <InlineError error={begin.error ?? login.error ?? null} />
      <div className="dialog__actions">
        <button type="button" className="btn btn--ghost" onClick={onDone}>
          {status?.state === "connected" ? "Done" : "Back"}
        </button>
      </div>
    </div>
  );
}
