/**
 * docs/api.md cannot drift from the page API's types: its tables of methods, events, handle and
 * provider members, `ChannelMessage` fields and errors name exactly what the client package's
 * `packages/client/src/api.ts` (read with the TypeScript compiler, not by hand; the extension
 * implements the same file) and the error table define.
 */
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { METHOD_NAMES, ProviderErrorCode } from "../../packages/client/src/api.js";
import * as clientPackage from "../../packages/client/src/index.js";

const docs = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8");
const apiSource = ts.createSourceFile("api.ts", readFileSync(new URL("../../packages/client/src/api.ts", import.meta.url), "utf8"), ts.ScriptTarget.Latest, true);

/** Member names of an interface declared in api.ts. */
function membersOf(name: string): string[] {
  let found: ts.InterfaceDeclaration | undefined;
  apiSource.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === name) found = node;
  });
  if (!found) throw new Error(`interface ${name} not found in api.ts`);
  return found.members.flatMap((member) => (member.name && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) ? [member.name.text] : []));
}

/** The section of the docs under `## <n>. ...`, up to the next `## `. */
function section(number: number): string {
  const start = docs.indexOf(`\n## ${number}. `);
  if (start < 0) throw new Error(`section ${number} not found in docs/api.md`);
  const end = docs.indexOf("\n## ", start + 1);
  return docs.slice(start, end < 0 ? undefined : end);
}

/** The table rows (after the header) of the table whose header row starts with `| <first> |`. */
function tableRows(text: string, first: string): string[][] {
  const lines = text.split("\n");
  const header = lines.findIndex((line) => line.startsWith(`| ${first} |`));
  if (header < 0) throw new Error(`no table "${first}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

/** Identifiers in backticks at the start of a member cell: "`on(...)` / `removeListener(...)`" -> on, removeListener. */
function namesIn(cell: string): string[] {
  return [...cell.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] as string);
}

const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

describe("docs/api.md matches the page API", () => {
  it("lists every method, and only those", () => {
    const documented = tableRows(section(4), "method").map((row) => namesIn(row[0] ?? "")[0]);
    expect(sorted(documented as string[])).toEqual(sorted(METHOD_NAMES));
  });

  it("lists every event, and only those", () => {
    const documented = tableRows(section(5), "event").map((row) => namesIn(row[0] ?? "")[0] as string);
    expect(sorted(documented)).toEqual(sorted(membersOf("ProviderEvents")));
    // Channel-handle events are the ones documented as "provider and channel handle".
    const onHandles = tableRows(section(5), "event").filter((row) => row[1]?.includes("channel handle")).map((row) => namesIn(row[0] ?? "")[0] as string);
    expect(sorted(onHandles)).toEqual(sorted(membersOf("ChannelEvents")));
  });

  it("lists every member of the provider and of a channel handle", () => {
    expect(sorted(tableRows(section(2), "member").flatMap((row) => namesIn(row[0] ?? "")))).toEqual(sorted(membersOf("ReliableChannelProvider")));
    expect(sorted(tableRows(section(3), "member").flatMap((row) => namesIn(row[0] ?? "")))).toEqual(sorted(membersOf("ChannelHandle")));
  });

  it("lists every field of ChannelMessage", () => {
    const table = section(5).slice(section(5).indexOf("`ChannelMessage`:"));
    expect(sorted(tableRows(table, "field").map((row) => namesIn(row[0] ?? "")[0] as string))).toEqual(sorted(membersOf("ChannelMessage")));
  });

  it("lists every error code with its name", () => {
    const documented = tableRows(section(6), "code").map((row) => [Number(row[0]), namesIn(row[1] ?? "")[0]]);
    expect(documented.sort()).toEqual(Object.entries(ProviderErrorCode).map(([name, code]) => [code, name]).sort());
  });

  it("names only constants the client package exports (a page imports what the docs cite)", () => {
    const named = sorted([...docs.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((match) => match[1] as string));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((name) => !(name in clientPackage))).toEqual([]);
  });
});
