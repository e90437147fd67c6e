/** How a contact is named and drawn when the platform gives little (a number, an id). */
import type { ContactRef } from "../ipc/bindings";

type ContactLike = Pick<ContactRef, "name" | "handle" | "phone" | "platformUserId">;

function clean(s: string | null | undefined): string | null {
  const t = s?.trim();
  return t ? t : null;
}

export function formatHandle(handle: string): string {
  return handle.startsWith("@") ? handle : `@${handle}`;
}

/** Name, else @handle, else phone, else "Customer ·1234" from the platform id. */
export function displayName(c: ContactLike): string {
  const name = clean(c.name);
  if (name) return name;
  const handle = clean(c.handle);
  if (handle) return formatHandle(handle);
  const phone = clean(c.phone);
  if (phone) return phone;
  const digits = c.platformUserId.replace(/\W/g, "");
  return `Customer ·${digits.slice(-4) || "?"}`;
}

/** The identifier shown under the name, when it adds something. */
export function secondaryId(c: ContactLike): string | null {
  const name = clean(c.name);
  const handle = clean(c.handle);
  const phone = clean(c.phone);
  if (name) return handle ? formatHandle(handle) : phone;
  if (handle) return phone;
  return null;
}

/** Up to two letters; null when there is no name to take them from (show a person glyph). */
export function initials(c: ContactLike): string | null {
  const name = clean(c.name);
  if (name) {
    const words = name.split(/\s+/).filter((w) => /\p{L}|\p{N}/u.test(w));
    const letters = words
      .slice(0, 2)
      .map((w) => Array.from(w.replace(/^[^\p{L}\p{N}]+/u, ""))[0] ?? "")
      .join("");
    return letters ? letters.toUpperCase() : null;
  }
  const handle = clean(c.handle)?.replace(/^@/, "");
  if (handle) {
    const first = Array.from(handle.replace(/[^\p{L}\p{N}]/gu, ""))[0];
    return first ? first.toUpperCase() : null;
  }
  return null;
}

// Hues that read well as a pale tile in light mode and a deep tile in dark mode.
const AVATAR_HUES = [8, 24, 38, 142, 168, 192, 214, 238, 262, 292, 322, 346] as const;

/** Stable hue for a contact: FNV-1a over the shown name, so a person keeps their colour. */
export function avatarHue(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return AVATAR_HUES[(h >>> 0) % AVATAR_HUES.length] ?? 214;
}
