// Writes reference token ids for crema's tokenizer tests with the JS tokenizers of
// @huggingface/transformers (its @huggingface/tokenizers dependency), an implementation
// independent of crema. Usage:
//   node reference_ids.mjs TOKENIZER_DIR LINES_FILE OUT_FILE
// TOKENIZER_DIR holds tokenizer.json (and optionally tokenizer_config.json). Each line of
// LINES_FILE (a literal "\n" inside a line stands for a newline) gives one output line: the
// ids with special tokens, space-separated.
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const [dir, linesFile, outFile] = process.argv.slice(2);
if (!outFile) {
  console.error("usage: node reference_ids.mjs TOKENIZER_DIR LINES_FILE OUT_FILE");
  process.exit(2);
}
const json = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
const cfgPath = path.join(dir, "tokenizer_config.json");
const config = fs.existsSync(cfgPath) ? JSON.parse(fs.readFileSync(cfgPath, "utf8")) : {};
const tokenizer = new Tokenizer(json, config);
let text = fs.readFileSync(linesFile, "utf8");
if (text.endsWith("\n")) text = text.slice(0, -1);
const out = text.split("\n").map((line) => {
  const input = line.replaceAll("\\n", "\n");
  return tokenizer.encode(input, { add_special_tokens: true }).ids.join(" ");
});
fs.writeFileSync(outFile, out.join("\n") + "\n");
console.error(`${out.length} lines -> ${outFile}`);
