// Parses an AsyncAPI document with @asyncapi/parser and prints its diagnostics.
// Exit 0 when it is valid (warnings allowed), 1 when the parser reports errors.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  console.log(`${["error", "warning", "info", "hint"][d.severity]} ${d.code} ${d.path.join("/")}: ${d.message}`);
}
console.log(document && errors.length === 0 ? "valid" : "invalid");
process.exit(document && errors.length === 0 ? 0 : 1);
