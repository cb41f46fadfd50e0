import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, expect, it } from "vitest";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = mkdtempSync(join(tmpdir(), "aphelion-gen-"));

afterAll(() => rmSync(out, { recursive: true, force: true }));

it("the committed src/gen is what `npm run generate` makes from ../../proto", () => {
  const bin = join(packageDir, "node_modules", ".bin");
  execFileSync(join(bin, "buf"), ["generate", "../../proto", "--template", "buf.gen.yaml", "--output", out], {
    cwd: packageDir,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
    stdio: "pipe",
  });
  const committed = join(packageDir, "src", "gen");
  const generated = join(out, "src", "gen");
  expect(readdirSync(generated).sort()).toEqual(readdirSync(committed).sort());
  for (const file of readdirSync(committed)) {
    expect(readFileSync(join(generated, file), "utf8"), file).toBe(readFileSync(join(committed, file), "utf8"));
  }
}, 60_000);
