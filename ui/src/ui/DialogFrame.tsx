/** A modal dialog as the app draws them: overlay, title with its icon, an optional lead paragraph that describes it. */
import "./dialog.css";
import * as Dialog from "@radix-ui/react-dialog";
import { useId, type ReactNode } from "react";
import { Icon, type IconName } from "./Icon";

type Props = {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  icon: IconName;
  title: string;
  /** Read by screen readers as the dialog's description. */
  lead?: ReactNode;
  testId: string;
  wide?: boolean;
  /** A close button in the corner, for dialogs without a Cancel. */
  closeButton?: boolean;
  children: ReactNode;
};

export function DialogFrame({ open, onOpenChange, icon, title, lead, testId, wide = false, closeButton = false, children }: Props) {
  const leadId = useId();
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className={wide ? "dialog dialog--wide" : "dialog"} data-testid={testId} aria-describedby={lead ? leadId : undefined}>
          <Dialog.Title className="dialog__title">
            <Icon name={icon} size={16} />
            {title}
          </Dialog.Title>
          {closeButton ? (
            <Dialog.Close asChild>
              <button type="button" className="icon-btn dialog__close" aria-label="Close">
                <Icon name="x" size={15} />
              </button>
            </Dialog.Close>
          ) : null}
          {lead ? (
            <p id={leadId} className="dialog__lead">
              {lead}
            </p>
          ) : null}
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
