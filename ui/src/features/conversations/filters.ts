/** The sidebar's views as list filters. */
import type { ConversationFilter, Platform } from "../../ipc/bindings";
import { PLATFORM_LABEL } from "../../lib/platform";

export type View = "inbox" | "unread" | "done";

export const VIEW_LABEL: Record<View, string> = { inbox: "Inbox", unread: "Unread", done: "Done" };

export function viewFilter(view: View, platform: Platform | null): ConversationFilter {
  switch (view) {
    case "inbox":
      return { platform, accountId: null, unreadOnly: false, state: "open" };
    // Unread spans open and done, as the sidebar's unread count does.
    case "unread":
      return { platform, accountId: null, unreadOnly: true, state: null };
    case "done":
      return { platform, accountId: null, unreadOnly: false, state: "done" };
  }
}

export function emptyText(view: View, platform: Platform | null): { title: string; body: string } {
  const on = platform ? ` on ${PLATFORM_LABEL[platform]}` : "";
  switch (view) {
    case "inbox":
      return {
        title: `All caught up${on}`,
        body: "No open conversations. New messages will appear here as they arrive.",
      };
    case "unread":
      return { title: `No unread conversations${on} — nice work`, body: "Everything has been read." };
    case "done":
      return { title: `Nothing marked done${on}`, body: "Conversations you mark done move here, out of your way." };
  }
}
