// Repository guard: every changeset names only workspace packages (by their package.json name) with a valid bump,
// so `pnpm changeset version` never fails on release day because of a misspelt name such as "@deberta-js/cli".
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));

function workspaceNames(): Set<string> {
  const names = new Set<string>();
  for (const group of ["packages", "apps"]) {
    for (const dir of readdirSync(join(root, group))) {
      try {
        names.add((JSON.parse(readFileSync(join(root, group, dir, "package.json"), "utf8")) as { name: string }).name);
      } catch {
        // not a package folder
      }
    }
  }
  return names;
}

/** The `"name": bump` lines of a changeset's front matter, or an error string. */
function frontMatter(text: string): [string, string][] | string {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(text);
  if (!m) return "no front matter";
  if (!m[2].trim()) return "no summary";
  const entries: [string, string][] = [];
  for (const line of m[1].split(/\r?\n/).filter((l) => l.trim())) {
    const e = /^\s*["']?([^"':]+)["']?\s*:\s*(\w+)\s*$/.exec(line);
    if (!e) return `unreadable line ${JSON.stringify(line)}`;
    entries.push([e[1], e[2]]);
  }
  return entries;
}

describe("changesets", () => {
  const dir = join(root, ".changeset");
  const files = readdirSync(dir).filter((f) => f.endsWith(".md") && f !== "README.md");
  const names = workspaceNames();

  it("the workspace has its packages", () => {
    expect(names.has("@deberta-js/core")).toBe(true);
    expect(names.has("deberta-js")).toBe(true);
  });

  it.each(files)("%s names workspace packages with major|minor|patch", (file) => {
    const fm = frontMatter(readFileSync(join(dir, file), "utf8"));
    expect(typeof fm === "string" ? fm : "ok").toBe("ok");
    for (const [name, bump] of fm as [string, string][]) {
      expect(names.has(name), `${file}: "${name}" is not a workspace package`).toBe(true);
      expect(["major", "minor", "patch"]).toContain(bump);
    }
  });

  it("the parser rejects what changesets would", () => {
    expect(frontMatter("no front matter")).toBe("no front matter");
    expect(frontMatter('---\n"a": patch\n---\n')).toBe("no summary");
    expect(frontMatter('---\n"a": patch\n---\n\nSummary.\n')).toEqual([["a", "patch"]]);
  });
});
