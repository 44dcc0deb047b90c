// Viewer-session id: random, URL-safe, kept across reloads of the page.

export const VSID_STORAGE_KEY = "sender.vsid";
const VSID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** 16 random bytes as unpadded base64url: 22 characters. */
export function newVsid(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let binary = "";
  for (const b of bytes) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The stored vsid, or a new one (stored when localStorage is usable). */
export function loadVsid(storage: Storage | null = safeLocalStorage()): string {
  try {
    const existing = storage?.getItem(VSID_STORAGE_KEY);
    if (existing && VSID_PATTERN.test(existing)) {
      return existing;
    }
  } catch {
    // Storage blocked (privacy settings): fall through to a per-page id.
  }
  const fresh = newVsid();
  try {
    storage?.setItem(VSID_STORAGE_KEY, fresh);
  } catch {
    // Not persisted; still usable for this page.
  }
  return fresh;
}

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** `url` with `vsid` set in its query string (other parameters kept). */
export function withVsid(url: string, vsid: string, base: string = location.href): string {
  const parsed = new URL(url, base);
  parsed.searchParams.set("vsid", vsid);
  return parsed.toString();
}

/** True for an HLS playlist URL (`.m3u8` path), whatever its query. */
export function isPlaylistUrl(url: string, base: string = location.href): boolean {
  try {
    return new URL(url, base).pathname.toLowerCase().endsWith(".m3u8");
  } catch {
    return false;
  }
}
