#!/usr/bin/env node
// compare_ids.mjs TOKENIZER_JSON INPUT.jsonl EXPECTED.jsonl GOT.jsonl [LABEL]
//
// Compares two files of id arrays (one JSON array per line, as ref_encode.mjs
// and tok_dump write them) line by line.  Prints the first few mismatches with
// the input string, both id lists from the first difference on, and each id's
// piece (its bytes, from the tokenizer's vocabulary), then the count.
// Exit status: 0 no mismatch, 1 mismatches (or a different number of lines),
// 2 a setup problem.  Environment: NODE_MODULES; SHOW (mismatches shown, 5).
import fs from 'node:fs';
import { byteLevelDecoder, readJsonl, tokenBytes } from './common.mjs';

const [tokFile, inFile, expFile, gotFile, label = 'ids'] = process.argv.slice(2);
if (!gotFile) {
  process.stderr.write('usage: compare_ids.mjs TOKENIZER_JSON INPUT.jsonl EXPECTED.jsonl GOT.jsonl [LABEL]\n');
  process.exit(2);
}
const show = Number.parseInt(process.env.SHOW || '5', 10);

const spec = JSON.parse(fs.readFileSync(tokFile, 'utf8'));
const byId = new Map();
for (const [tok, id] of Object.entries(spec.model.vocab)) byId.set(id, tok);
const special = new Map(spec.added_tokens.map((t) => [t.id, t.content]));
const dec = byteLevelDecoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });

function piece(id) {
  if (special.has(id)) return special.get(id);
  const tok = byId.get(id);
  if (tok === undefined) return `<id ${id}?>`;
  const b = tokenBytes(tok, dec);
  try {
    return visible(utf8.decode(b));
  } catch {
    return `0x${b.toString('hex')}`;
  }
}

// JSON with invisible characters (controls, format, separators other than
// the space, private use, unassigned) spelled \\uXXXX, so a mismatch on
// U+2006 or U+FEFF can be read.
function visible(s) {
  return JSON.stringify(s).replace(/(?! )[\p{Cc}\p{Cf}\p{Z}\p{Co}\p{Cn}]/gu, (c) => {
    const cp = c.codePointAt(0);
    return cp > 0xffff ? `\\u{${cp.toString(16).toUpperCase()}}` : `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

function pieces(ids, from) {
  const shown = ids.slice(from, from + 24).map((id) => `${id}:${piece(id)}`);
  return shown.join(' ') + (ids.length > from + 24 ? ' ...' : '');
}

const inputs = readJsonl(inFile);
const exp = readJsonl(expFile);
const got = readJsonl(gotFile);
let bad = 0;
if (exp.length !== inputs.length || got.length !== inputs.length) {
  process.stderr.write(`${label}: line counts differ: input ${inputs.length}, expected ${exp.length}, got ${got.length}\n`);
  bad++;
}
const n = Math.min(inputs.length, exp.length, got.length);
let mismatches = 0;
for (let i = 0; i < n; i++) {
  const e = exp[i];
  const g = got[i];
  if (!Array.isArray(g) || !g.every(Number.isInteger)) {
    process.stderr.write(`${label}: line ${i + 1}: not an array of integers: ${JSON.stringify(g).slice(0, 200)}\n`);
    mismatches++;
    continue;
  }
  let k = 0;
  while (k < e.length && k < g.length && e[k] === g[k]) k++;
  if (k === e.length && k === g.length) continue;
  mismatches++;
  if (mismatches <= show) {
    const s = typeof inputs[i] === 'string' ? inputs[i] : inputs[i].text;
    const shownInput = visible(s);
    process.stderr.write(
      `--- ${label}: mismatch at line ${i + 1}, first difference at token ${k}\n` +
      `input:     ${shownInput.length > 600 ? shownInput.slice(0, 600) + '...' : shownInput}\n` +
      `expected:  ${e.length} ids, from token ${Math.max(0, k - 2)}: [${e.slice(Math.max(0, k - 2), k + 24).join(',')}]\n` +
      `got:       ${g.length} ids, from token ${Math.max(0, k - 2)}: [${g.slice(Math.max(0, k - 2), k + 24).join(',')}]\n` +
      `expected pieces from ${Math.max(0, k - 2)}: ${pieces(e, Math.max(0, k - 2))}\n` +
      `got pieces from ${Math.max(0, k - 2)}:      ${pieces(g, Math.max(0, k - 2))}\n`);
  }
}
const total = exp.reduce((a, e) => a + e.length, 0);
process.stderr.write(`${label}: ${n} strings, ${total} reference tokens, ${mismatches} mismatching strings\n`);
process.exit(bad || mismatches ? 1 : 0);
