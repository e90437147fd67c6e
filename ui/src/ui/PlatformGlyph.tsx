/**
 * The three platforms as simple marks of our own: a blue bubble with a zigzag
 * (Messenger), a gradient camera (Instagram), a green bubble with a handset (WhatsApp).
 * Recognisable by colour and shape, not copies of the trademarks.
 */
import { useId } from "react";
import type { Platform } from "../ipc/bindings";
import { PLATFORM_LABEL } from "../lib/platform";

type Props = { platform: Platform; size?: number; className?: string; decorative?: boolean };

export function PlatformGlyph({ platform, size = 16, className, decorative = false }: Props) {
  const gradientId = useId();
  const a11y = decorative ? { "aria-hidden": true } : { role: "img", "aria-label": PLATFORM_LABEL[platform] };
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" className={className} data-platform={platform} focusable="false" {...a11y}>
      {platform === "messenger" && (
        <>
          <path d="M12 2.5c5.5 0 9.5 3.9 9.5 9 0 5-4 9-9.5 9-1 0-2-.1-2.9-.4L5 21.5l.3-3.6C3.6 16.3 2.5 14 2.5 11.5c0-5.1 4-9 9.5-9z" fill="#0866FF" />
          <path d="M6.6 14.1l3.6-3.8 2.5 2.2 4.6-3.6-3.6 3.8-2.5-2.2z" fill="#fff" stroke="#fff" strokeWidth="1.2" strokeLinejoin="round" />
        </>
      )}
      {platform === "instagram" && (
        <>
          <defs>
            <linearGradient id={gradientId} x1="0" y1="1" x2="1" y2="0">
              <stop offset="0" stopColor="#FEC053" />
              <stop offset="0.45" stopColor="#E1306C" />
              <stop offset="1" stopColor="#7A3FE4" />
            </linearGradient>
          </defs>
          <rect x="2" y="2" width="20" height="20" rx="6" fill={`url(#${gradientId})`} />
          <rect x="6" y="6" width="12" height="12" rx="3.6" fill="none" stroke="#fff" strokeWidth="1.8" />
          <circle cx="12" cy="12" r="2.9" fill="none" stroke="#fff" strokeWidth="1.8" />
          <circle cx="15.6" cy="8.4" r="0.95" fill="#fff" />
        </>
      )}
      {platform === "whatsapp" && (
        <>
          <path d="M12 2.5a9.5 9.5 0 0 1 0 19c-1.7 0-3.3-.4-4.7-1.2L2.5 21.5l1.3-4.6A9.5 9.5 0 0 1 12 2.5z" fill="#25D366" />
          <path
            d="M9.3 7.3c.3-.3.8-.3 1 .1l1 1.8c.2.4.1.8-.2 1.1l-.6.5c.5 1.1 1.4 2 2.5 2.6l.5-.6c.3-.3.7-.4 1.1-.2l1.8 1c.4.2.4.7.1 1l-.9.9c-.6.6-1.5.8-2.3.4a9.3 9.3 0 0 1-4.9-4.9c-.3-.8-.2-1.7.4-2.3z"
            fill="#fff"
          />
        </>
      )}
    </svg>
  );
}
