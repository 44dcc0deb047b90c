// The small part of the Video.js 8 API the bootstrap uses, typed narrowly.
// Video.js ships JSDoc-generated declarations that are loose (many `any`s, no `Vhs`);
// going through these interfaces keeps the bootstrap strictly typed.
import videojsUntyped from "video.js";

export interface VhsRequestOptions {
  uri: string;
  [key: string]: unknown;
}

export type VhsRequestHook = (options: VhsRequestOptions) => VhsRequestOptions;

export interface VhsXhr {
  onRequest(hook: VhsRequestHook): void;
  offRequest(hook: VhsRequestHook): void;
}

export interface MediaErrorLike {
  readonly code: number;
  readonly message: string;
}

export interface SourceObject {
  src: string;
  type: string;
}

export interface VjsPlayer {
  src(source: SourceObject): void;
  play(): Promise<void> | undefined;
  pause(): void;
  paused(): boolean;
  muted(value: boolean): void;
  currentTime(): number;
  error(): MediaErrorLike | null;
  error(value: null): void;
  reset(): void;
  el(): HTMLElement;
  on(event: string | string[], handler: () => void): void;
  ready(handler: () => void): void;
  readyState(): number;
}

export interface VideojsOptions {
  autoplay?: boolean | "muted" | "play" | "any";
  muted?: boolean;
  controls?: boolean;
  preload?: "auto" | "metadata" | "none";
  fill?: boolean;
  fluid?: boolean;
  aspectRatio?: string;
  liveui?: boolean;
  playsinline?: boolean;
  html5?: Record<string, unknown>;
  liveTracker?: Record<string, unknown>;
}

export interface VideojsStatic {
  (el: string | Element, options?: VideojsOptions): VjsPlayer;
  readonly VERSION: string;
  readonly Vhs: { readonly xhr: VhsXhr };
}

export const videojs = videojsUntyped as unknown as VideojsStatic;
