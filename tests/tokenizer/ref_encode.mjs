#!/usr/bin/env node
// ref_encode.mjs TOKENIZER_JSON [--special-text] [--byte-offsets] < IN.jsonl > OUT.jsonl
//
// The reference: Hugging Face's tokenizers (the Rust core that transformers
// uses, through its official Node binding) encodes each input line, with
// addSpecialTokens false (no <|begin_of_text|> is added).  An input line is a
// JSON string, or an object whose "text" is one (llamafmt's jsonl output).
// Output: one JSON array of ids per line, or with --byte-offsets
// {"ids": [...], "offsets": [[start, end], ...], "text": STRING} with
// half-open UTF-8 byte offsets into the string (given back as "text").
//
// Special-token text.  By default the input is ordinary text, as lf_tokenize
// encodes it: "<|eot_id|>" inside a string is the ten characters, never id
// 128009.  The Rust tokenizer extracts added tokens before anything else
// (AddedVocabulary::extract_and_normalize splits the input at every
// added-token match, then each remaining piece is normalised, pre-tokenised
// and run through the BPE model).  So the same tokenizer.json with an empty
// "added_tokens" list, built with Tokenizer.fromString, is exactly the Llama 3
// pipeline applied to the whole string as text: no splitting, nothing else
// changed (the BPE vocabulary has no special tokens; they live only in
// added_tokens).  Splitting the string around the special text and encoding
// the pieces would not be faithful: the pre-tokeniser regex would then never
// see "<|" next to what precedes it.  Two checks keep this honest on every
// run: a string that holds no added-token text must get the same ids from the
// stripped tokenizer and the full one, and a string that does hold one must
// get at least one special id from the full tokenizer (else the special-text
// cases would test nothing).
//
// With --special-text the full tokenizer is used as it is: special-token text
// is the special token, as apply_chat_template's output is tokenised for
// training.
//
// Offsets: the Node binding reports offsets in characters (Unicode scalar
// values, encode_char_offsets), not UTF-16 units and not bytes; they are
// converted to bytes here, and a probe at start-up fails the run if the
// binding's unit ever changes.
//
// Environment: NODE_MODULES (default: node_modules beside this file).
import fs from 'node:fs';
import { charToByteTable, hfTokenizers, readJsonl } from './common.mjs';

function die(msg) {
  process.stderr.write(`ref_encode.mjs: ${msg}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let file = null;
let specialText = false;
let byteOffsets = false;
for (const a of args) {
  if (a === '--special-text') specialText = true;
  else if (a === '--byte-offsets') byteOffsets = true;
  else if (!a.startsWith('-') && file === null) file = a;
  else die(`usage: ref_encode.mjs TOKENIZER_JSON [--special-text] [--byte-offsets] < IN.jsonl > OUT.jsonl (bad argument ${a})`);
}
if (file === null) die('usage: ref_encode.mjs TOKENIZER_JSON [--special-text] [--byte-offsets] < IN.jsonl > OUT.jsonl');

const { Tokenizer } = hfTokenizers();
const json = fs.readFileSync(file, 'utf8');
const full = Tokenizer.fromFile(file);
const spec = JSON.parse(json);
const addedNames = spec.added_tokens.map((t) => t.content);
if (addedNames.length === 0) die(`${file} has no added tokens`);
const firstSpecial = Math.min(...spec.added_tokens.map((t) => t.id)); // 128000
spec.added_tokens = [];
const encoder = specialText ? full : Tokenizer.fromString(JSON.stringify(spec));
const opts = { addSpecialTokens: false };

// Probe: the unit of the binding's offsets.
{
  const probe = 'é😀a';
  const enc = await full.encode(probe, null, opts);
  const offs = enc.getOffsets();
  const end = offs[offs.length - 1][1];
  if (end !== [...probe].length) die(`the binding's offsets are not in characters (probe ends at ${end}, expected ${[...probe].length})`);
}

const inputs = readJsonl('/dev/stdin').map((v, i) => {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof v.text === 'string') return v.text;
  die(`stdin:${i + 1}: not a JSON string nor an object with a string "text"`);
  return '';
});

const out = [];
let withSpecialText = 0;
const BATCH = 512;
for (let i = 0; i < inputs.length; i += BATCH) {
  const batch = inputs.slice(i, i + BATCH);
  const encs = await encoder.encodeBatch(batch, opts);
  const fulls = specialText ? encs : await full.encodeBatch(batch, opts);
  for (let j = 0; j < batch.length; j++) {
    const s = batch[j];
    const ids = encs[j].getIds();
    if (!specialText) {
      const fullIds = fulls[j].getIds();
      const hasName = addedNames.some((name) => s.includes(name));
      if (ids.some((id) => id >= firstSpecial)) die(`line ${i + j + 1}: the stripped tokenizer produced a special id`);
      if (hasName) {
        withSpecialText++;
        if (!fullIds.some((id) => id >= firstSpecial))
          die(`line ${i + j + 1}: holds special-token text but the full tokenizer gave no special id`);
      } else if (fullIds.length !== ids.length || fullIds.some((id, k) => id !== ids[k])) {
        die(`line ${i + j + 1}: no special-token text, yet the stripped and full tokenizers disagree`);
      }
    }
    if (byteOffsets) {
      const table = charToByteTable(s);
      const offsets = encs[j].getOffsets().map(([a, b]) => {
        if (a > b || b >= table.length) die(`line ${i + j + 1}: offset [${a}, ${b}] outside the string`);
        return [table[a], table[b]];
      });
      out.push(JSON.stringify({ ids, offsets, text: s }));
    } else {
      out.push(JSON.stringify(ids));
    }
  }
}
fs.writeFileSync(1, out.length ? out.join('\n') + '\n' : '');
process.stderr.write(`ref_encode.mjs: ${inputs.length} strings encoded` +
  (specialText ? ' (special-token text is special)\n' : `, ${withSpecialText} with special-token text encoded as text\n`));
