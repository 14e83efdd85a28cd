/** Markdown report assembly. */
import os from "node:os";

export class Markdown {
  private readonly lines: string[] = [];

  heading(level: number, text: string): this {
    this.lines.push("", `${"#".repeat(level)} ${text}`, "");
    return this;
  }

  para(text: string): this {
    this.lines.push(text, "");
    return this;
  }

  bullets(items: readonly string[]): this {
    for (const item of items) this.lines.push(`- ${item}`);
    this.lines.push("");
    return this;
  }

  table(headers: readonly string[], rows: readonly (readonly string[])[]): this {
    const escape = (cell: string): string => cell.replace(/\|/g, "\\|");
    this.lines.push(`| ${headers.map(escape).join(" | ")} |`);
    this.lines.push(`|${headers.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
    for (const row of rows) this.lines.push(`| ${row.map(escape).join(" | ")} |`);
    this.lines.push("");
    return this;
  }

  append(other: Markdown): this {
    this.lines.push(...other.lines);
    return this;
  }

  toString(): string {
    return `${this.lines.join("\n").replace(/^\n+/, "").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
  }
}

export interface MachineInfo {
  cores: number;
  model: string;
  memoryGiB: number;
  node: string;
  platform: string;
  loadAtStart: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    model: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
