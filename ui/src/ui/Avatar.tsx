import "./avatar.css";
import { useState, type CSSProperties } from "react";
import type { ContactRef, Platform } from "../ipc/bindings";
import { avatarHue, displayName, initials } from "../lib/contact";
import { Icon } from "./Icon";
import { PlatformGlyph } from "./PlatformGlyph";

type Props = { contact: ContactRef; platform?: Platform; size?: number };

/** Photo when the platform gave one, else initials on a colour that stays with the person. */
export function Avatar({ contact, platform, size = 36 }: Props) {
  const [broken, setBroken] = useState(false);
  const name = displayName(contact);
  const letters = initials(contact);
  const style = { "--avatar-size": `${size}px`, "--avatar-hue": avatarHue(name) } as CSSProperties;
  return (
    <span className="avatar" style={style} aria-hidden="true">
      {contact.avatarUrl && !broken ? (
        <img src={contact.avatarUrl} alt="" onError={() => setBroken(true)} referrerPolicy="no-referrer" />
      ) : letters ? (
        <span className="avatar__letters">{letters}</span>
      ) : (
        <Icon name="user" size={Math.round(size * 0.5)} />
      )}
      {platform ? (
        <span className="avatar__platform">
          <PlatformGlyph platform={platform} size={Math.max(12, Math.round(size * 0.42))} decorative />
        </span>
      ) : null}
    </span>
  );
}
