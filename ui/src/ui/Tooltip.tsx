import "./tooltip.css";
import * as RT from "@radix-ui/react-tooltip";
import type { ReactNode } from "react";

export const TooltipProvider = RT.Provider;

/** A tooltip on any single focusable child. */
export function Tooltip({ content, children, side = "top" }: { content: ReactNode; children: ReactNode; side?: "top" | "bottom" | "left" | "right" }) {
  return (
    <RT.Root>
      <RT.Trigger asChild>{children}</RT.Trigger>
      <RT.Portal>
        <RT.Content className="tooltip" side={side} sideOffset={6} collisionPadding={8}>
          {content}
        </RT.Content>
      </RT.Portal>
    </RT.Root>
  );
}
