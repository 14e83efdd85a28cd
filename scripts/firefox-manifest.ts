// The Firefox manifest, generated from manifest.json (the one hand-written manifest) so the two
// builds cannot drift: only the keys the browsers disagree on are changed here.
/*
 * What differs, and why:
 * - background: Firefox refuses `service_worker` and runs `scripts` as a non-persistent event page;
 *   crxjs rewrites `scripts[0]` into its loader, so the same background module runs in both.
 * - `minimum_chrome_version` and `message_serialization` are Chromium-only keys (Firefox always
 *   messages by structured clone); `web-ext lint` warns on unknown keys, so they are dropped.
 * - `content_security_policy.extension_pages`: Firefox's default MV3 policy adds
 *   `upgrade-insecure-requests`, which turns the worker's `ws://` dials (a local node, the devnet)
 *   into `wss://` ones that fail. We set Chromium's default policy, which has no such upgrade.
 * - `browser_specific_settings.gecko`: a fixed add-on id (storage, permissions and the extension's
 *   origin are keyed by it) and the first ESR with `world: "MAIN"` content scripts and data_collection_permissions (140).
 */
export const FIREFOX_ADDON_ID = "reliable-channel@reliable-channel.org";
export const FIREFOX_MIN_VERSION = "140.0";
/** What Chromium applies to extension pages when the manifest names no policy. */
const CHROMIUM_DEFAULT_EXTENSION_PAGES_CSP = "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';";

interface ChromeManifest {
  background?: { service_worker?: string; type?: string };
  [key: string]: unknown;
}

export function firefoxManifest<M extends ChromeManifest>(manifest: M): Record<string, unknown> {
  const { background, minimum_chrome_version: _minChrome, message_serialization: _serialization, ...rest } = manifest;
  if (!background?.service_worker) throw new Error("manifest.json has no background.service_worker to turn into an event page");
  return {
    ...rest,
    background: { scripts: [background.service_worker], type: background.type ?? "module" },
    content_security_policy: { extension_pages: CHROMIUM_DEFAULT_EXTENSION_PAGES_CSP },
    browser_specific_settings: {
      gecko: {
        id: FIREFOX_ADDON_ID,
        strict_min_version: FIREFOX_MIN_VERSION,
        // Nothing leaves the browser but the messages the user's pages send over Waku.
        data_collection_permissions: { required: ["none"] },
      },
    },
  };
}
