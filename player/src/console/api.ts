// The management API as the console uses it: bearer token from the tab's session storage,
// never a cookie; an API error carries the API's own message.

const TOKEN_KEY = "sender.console.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function storedToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function storeToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The `detail` of an error body: a string, or FastAPI's list of `{loc, msg}`. */
export function errorMessage(status: number, body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    const parts = detail.map((d: { loc?: unknown[]; msg?: string }) => {
      const where = Array.isArray(d.loc) ? d.loc.filter((x) => x !== "body").join(".") : "";
      return where ? `${where}: ${d.msg ?? "invalid"}` : (d.msg ?? "invalid");
    });
    return parts.join("; ");
  }
  return `HTTP ${status}`;
}

export class Api {
  constructor(public token: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    const init: RequestInit = { method, headers, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp: Response;
    try {
      resp = await fetch(path, init);
    } catch {
      throw new ApiError(0, "the node cannot be reached");
    }
    if (resp.status === 204) return undefined as T;
    const data: unknown = await resp.json().catch(() => null);
    if (!resp.ok) throw new ApiError(resp.status, errorMessage(resp.status, data));
    return data as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }
}

export interface NodeInfo {
  role: string;
  name: string;
  manifest: Record<string, unknown>;
}

export interface Endpoint {
  slug: string;
  type: string;
  title: string;
  key_blocked: boolean;
  created_at: string;
}

export interface EndpointWithKey extends Endpoint {
  stream_key: string;
  publish_url: string;
  srt_url?: string | null;
}

export interface StreamStatus {
  endpoint: string;
  state: string;
  generation: number | null;
  publisher: { peer: string; since: string; bytes_in: number } | null;
  ffmpeg: { state: string; restarts: number } | null;
  keyframe_interval_seconds: number | null;
  ingest_bitrate_kbps: number | null;
  warnings: string[];
}

export interface Viewers {
  now: number;
  source: "metrics" | "node";
  series: { t: number; peak: number; avg: number }[];
  metrics_error: string | null;
}

export interface StreamEvent {
  at: string;
  kind: string;
  generation: number | null;
  detail: string;
}

export interface EdgeSession {
  endpoint: string;
  state: string;
  upstream_url: string | null;
  generation: number | null;
  lag_seconds: number | null;
  segments_mirrored: number;
  last_error: string | null;
}
