// The parts of `chrome.runtime.Port` both ends of the page port use: the content script's
// RpcClient and the worker's RpcServer (stubbed in tests).

export interface ExtensionPort {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(callback: (message: unknown) => void): void };
  onDisconnect: { addListener(callback: () => void): void };
}
