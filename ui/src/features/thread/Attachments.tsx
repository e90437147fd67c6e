/**
 * Attachments drawn as what they are. Photos, videos and voice notes downloaded to this
 * computer are shown from there (Meta's links expire); what could not be downloaded says why.
 */
import { useState } from "react";
import "./attachments.css";
import type { Attachment, AttachmentKind } from "../../ipc/bindings";
import { localFileUrl } from "../../ipc/transport";
import { humanSize } from "../../lib/format";
import { Icon, type IconName } from "../../ui/Icon";

/** What to draw when the platform gave no kind: guess from the MIME type. */
export function attachmentKind(a: Attachment): AttachmentKind {
  if (a.kind) return a.kind;
  const mime = a.mimeType ?? "";
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("video/")) return "video";
  if (mime.startsWith("audio/")) return "audio";
  return "file";
}

/** A file in the data directory, as the window can load it (Tauri's asset protocol). */
export function localSrc(path: string | null | undefined): string | null {
  if (!path) return null;
  // Null outside the app window (tests with mocked IPC), where there is no asset protocol.
  return localFileUrl(path);
}

/** Images, videos and stickers stand alone, without a bubble around them. */
export function isVisualMedia(a: Attachment): boolean {
  const k = attachmentKind(a);
  return k === "image" || k === "video" || k === "sticker" || k === "unavailable";
}

/** Files and shared posts are cards; a message of cards alone needs no bubble either. */
export function isCard(a: Attachment): boolean {
  const k = attachmentKind(a);
  return k === "file" || k === "share" || k === "reel" || k === "story";
}

function Thumb({ url, alt, className, local = false }: { url: string; alt: string; className: string; local?: boolean }) {
  const [broken, setBroken] = useState(false);
  if (broken) return <Tile icon="unavailable" label="Photo no longer available" muted />;
  // Files on this computer load at once; only remote pictures wait until scrolled to.
  return <img className={className} src={url} alt={alt} loading={local ? "eager" : "lazy"} referrerPolicy="no-referrer" onError={() => setBroken(true)} />;
}

function Tile({ icon, label, sub, muted = false }: { icon: IconName; label: string; sub?: string | null; muted?: boolean }) {
  return (
    <div className={muted ? "media-tile media-tile--muted" : "media-tile"}>
      <Icon name={icon} size={22} />
      <span className="media-tile__label">{label}</span>
      {sub ? <span className="media-tile__sub">{sub}</span> : null}
    </div>
  );
}

function Waveform() {
  // A fixed, pleasant bar pattern: the real waveform is not in the store.
  const bars = [5, 9, 14, 8, 12, 17, 10, 6, 13, 16, 9, 5, 11, 14, 7, 10, 15, 8, 5, 9];
  return (
    <svg className="waveform" width={bars.length * 4} height="20" viewBox={`0 0 ${bars.length * 4} 20`} aria-hidden="true">
      {bars.map((h, i) => (
        <rect key={i} x={i * 4} y={(20 - h) / 2} width="2.2" height={h} rx="1.1" fill="currentColor" />
      ))}
    </svg>
  );
}

const CARD_TITLE: Partial<Record<AttachmentKind, string>> = {
  share: "Shared post",
  reel: "Shared reel",
  story: "Story",
};

export function AttachmentView({ attachment: a }: { attachment: Attachment }) {
  const kind = attachmentKind(a);
  const size = humanSize(a.sizeBytes);
  const local = localSrc(a.localPath);
  const picture = localSrc(a.thumbnailPath) ?? local ?? a.url;
  if (!local && a.downloadError) {
    return (
      <div data-testid="attachment-missing" title={a.downloadError}>
        <Tile icon="unavailable" label={kind === "image" ? "Photo not available" : `${a.filename ?? "File"} not available`} sub={a.downloadError} muted />
      </div>
    );
  }
  switch (kind) {
    case "image":
      return picture ? (
        <Thumb url={picture} alt={a.title ?? "Photo"} className="media-img" local={picture !== a.url} />
      ) : (
        <Tile icon="image" label="Photo" sub={size} />
      );
    case "sticker":
      return picture ? (
        <Thumb url={picture} alt="Sticker" className="media-sticker" local={picture !== a.url} />
      ) : (
        <div className="media-sticker media-sticker--empty">
          <Icon name="smile" size={28} />
          <span>Sticker</span>
        </div>
      );
    case "video":
      if (local) return <video className="media-img" src={local} controls preload="metadata" data-testid="video" />;
      return (
        <div className="media-video">
          <span className="media-video__play">
            <Icon name="play" size={18} />
          </span>
          <span className="media-video__label">
            <Icon name="video" size={13} />
            {["Video", size].filter(Boolean).join(" · ")}
          </span>
        </div>
      );
    case "audio":
      if (local) return <audio className="voice-player" src={local} controls preload="metadata" data-testid="audio" />;
      return (
        <div className="voice" data-voice={a.voice || undefined}>
          <span className="voice__play">
            <Icon name={a.voice === false ? "mic" : "play"} size={14} />
          </span>
          <Waveform />
          <span className="voice__label">{a.voice === false ? (a.filename ?? "Audio") : "Voice message"}</span>
        </div>
      );
    case "file":
      return (
        <div className="card file-card">
          <span className="card__icon">
            <Icon name="file" size={18} />
          </span>
          <span className="card__text">
            <span className="card__title">{a.filename ?? "File"}</span>
            <span className="card__sub">{[fileType(a), size, local ? "on this computer" : null].filter(Boolean).join(" · ") || "Document"}</span>
          </span>
        </div>
      );
    case "share":
    case "reel":
    case "story":
      return (
        <div className="card">
          <span className="card__icon">
            <Icon name={kind === "story" ? "story" : kind === "reel" ? "video" : "link"} size={18} />
          </span>
          <span className="card__text">
            <span className="card__title">{a.title ?? CARD_TITLE[kind]}</span>
            <span className="card__sub">{CARD_TITLE[kind]}</span>
          </span>
        </div>
      );
    case "unavailable":
      return <Tile icon="unavailable" label="Photo no longer available" muted />;
  }
}

function fileType(a: Attachment): string | null {
  const ext = a.filename?.match(/\.([a-z0-9]{1,6})$/i)?.[1];
  if (ext) return ext.toUpperCase();
  const sub = a.mimeType?.split("/")[1];
  return sub ? sub.toUpperCase() : null;
}
