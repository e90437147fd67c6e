/** Sidebar entry to the accounts dialog; warns when an account needs the owner. */
import { useState } from "react";
import { Icon } from "../../ui/Icon";
import { AccountsDialog } from "./AccountsDialog";
import { useAccounts } from "./api";

const NEEDS_OWNER = new Set(["needs_reconnect", "unsubscribed"]);

export function AccountsButton() {
  const [open, setOpen] = useState(false);
  const accounts = useAccounts();
  const attention = (accounts.data ?? []).filter((a) => NEEDS_OWNER.has(a.status)).length;
  return (
    <>
      <button
        type="button"
        className="nav-item"
        data-testid="accounts-nav"
        title={attention ? `${attention} account${attention === 1 ? "" : "s"} need attention` : "Accounts"}
        onClick={() => setOpen(true)}
      >
        <Icon name="plug" size={16} className="nav-item__icon" />
        <span className="nav-item__label">Accounts</span>
        {attention ? (
          <span className="nav-item__count nav-item__count--warn" aria-label={`${attention} need attention`}>
            !
          </span>
        ) : null}
      </button>
      <AccountsDialog open={open} onOpenChange={setOpen} />
    </>
  );
}
