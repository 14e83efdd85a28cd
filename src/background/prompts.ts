/**
 * The approval prompt: a small extension popup window per pending question.
 *
 * The window shows `src/prompt/index.html?id=<promptId>`; the page asks the worker which
 * origin the id is about (the URL carries no authority) and answers with `prompt:decide`.
 * Closing the window without answering is a deny. Prompts live in worker memory; an open prompt
 * page keeps the worker awake through a port, so its question is not lost to the idle timeout.
 */
import type { PromptResult } from "./permissions.js";

export interface WindowsLike {
  create(options: { url: string; type: "popup"; width: number; height: number; focused: boolean }): Promise<{ id?: number | undefined } | undefined>;
}

interface PendingPrompt {
  origin: string;
  windowId: number | null;
  resolve(result: PromptResult): void;
}

export class PromptManager {
  private readonly pending = new Map<string, PendingPrompt>();

  constructor(
    private readonly windows: WindowsLike,
    private readonly urlFor: (promptId: string) => string,
  ) {}

  ask(origin: string): Promise<PromptResult> {
    const promptId = crypto.randomUUID();
    return new Promise<PromptResult>((resolve, reject) => {
      const prompt: PendingPrompt = { origin, windowId: null, resolve };
      this.pending.set(promptId, prompt);
      this.windows
        .create({ url: this.urlFor(promptId), type: "popup", width: 420, height: 360, focused: true })
        .then((window) => {
          prompt.windowId = window?.id ?? null;
        })
        .catch((error: unknown) => {
          this.pending.delete(promptId);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  }

  originOf(promptId: string): string | undefined {
    return this.pending.get(promptId)?.origin;
  }

  /** Record the user's answer; false if the prompt is unknown (already answered, or a worker restart lost it). */
  decide(promptId: string, result: PromptResult): boolean {
    const prompt = this.pending.get(promptId);
    if (!prompt) return false;
    this.pending.delete(promptId);
    prompt.resolve(result);
    return true;
  }

  /** A window closed: if it was a prompt nobody answered, that is a deny. */
  windowClosed(windowId: number): void {
    for (const [promptId, prompt] of this.pending) {
      if (prompt.windowId === windowId) this.decide(promptId, { decision: "deny", remember: false });
    }
  }
}
