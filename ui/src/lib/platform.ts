import type { Platform } from "../ipc/bindings";

export const PLATFORMS: readonly Platform[] = ["messenger", "instagram", "whatsapp"];

export const PLATFORM_LABEL: Record<Platform, string> = {
  messenger: "Messenger",
  instagram: "Instagram",
  whatsapp: "WhatsApp",
};
