#!/usr/bin/env node
// Scores texts with an MLNetAttention ONNX model, using nothing but the .onnx file:
//
//   node onnx/score.mjs model.onnx "text one" "text two" ...
//   node onnx/score.mjs model.onnx < texts.txt          (one text per line)
//
// The labels, the vocabulary, the tokenization mode and the maximum length are read from the model's
// metadata_props (keys mlnet_attention.*). Texts are tokenized exactly like AttentionTokenizer (Char and Mixed
// modes), truncated to the maximum length, padded with id 0 to the longest text and scored in one batch.
// One JSON object per text is printed:
//   {"text", "label", "probabilities": {label: p}, "heads", "truncatedTokens",
//    "tokens": [{"token", "id", "offset", "length"}], "weights": [w per token] (or [[w per head] per token])}
// Offsets and lengths are in UTF-16 code units, like .NET and JavaScript strings.

import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const PADDING_ID = 0;
const UNKNOWN_ID = 1;

// ---- metadata_props from the protobuf (ModelProto field 14: StringStringEntryProto {1: key, 2: value}) ----

function readVarint(bytes, state) {
  let result = 0;
  let scale = 1;
  for (;;) {
    if (state.pos >= bytes.length) throw new Error('truncated varint');
    const b = bytes[state.pos++];
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return result;
    scale *= 128;
  }
}

// Calls onField(fieldNumber, start, end) for each length-delimited field of a message; skips the others.
function forEachField(bytes, start, end, onField) {
  const state = { pos: start };
  while (state.pos < end) {
    const tag = readVarint(bytes, state);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) readVarint(bytes, state);
    else if (wire === 1) state.pos += 8;
    else if (wire === 5) state.pos += 4;
    else if (wire === 2) {
      const length = readVarint(bytes, state);
      if (state.pos + length > end) throw new Error('truncated field');
      onField(field, state.pos, state.pos + length);
      state.pos += length;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  if (state.pos !== end) throw new Error('truncated message');
}

export function readMetadata(bytes) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const metadata = {};
  forEachField(bytes, 0, bytes.length, (field, start, end) => {
    if (field !== 14) return;
    let key = '';
    let value = '';
    forEachField(bytes, start, end, (f, s, e) => {
      if (f === 1) key = decoder.decode(bytes.subarray(s, e));
      else if (f === 2) value = decoder.decode(bytes.subarray(s, e));
    });
    metadata[key] = value;
  });
  return metadata;
}

// ---- AttentionTokenizer (TokenScanner + TextSegmentation + GetId) ----

// .NET char.IsWhiteSpace.
function isWhiteSpace(code) {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0x85 || code === 0xa0 || code === 0x1680
    || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f
    || code === 0x205f || code === 0x3000;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Longest text element looked at (emoji ZWJ sequences are far shorter).
const ELEMENT_WINDOW = 64;

// Length in UTF-16 code units of the text element (extended grapheme cluster) starting at index,
// as StringInfo.GetNextTextElementLength on the text from index.
function textElementLength(text, index) {
  if (index + 1 >= text.length) return 1;
  const first = graphemes.segment(text.slice(index, index + ELEMENT_WINDOW))[Symbol.iterator]().next().value;
  return first.segment.length;
}

// CJK ideographs and kana: each one is a token in Mixed mode.
function isIdeographic(cp) {
  return (cp >= 0x3000 && cp <= 0x30ff) || (cp >= 0x31f0 && cp <= 0x31ff) || (cp >= 0x3400 && cp <= 0x4dbf)
    || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff66 && cp <= 0xff9f)
    || (cp >= 0x20000 && cp <= 0x3ffff);
}

const letterOrDigit = /^[\p{L}\p{Nd}]$/u;

// TextSegmentation.IsWordStart: an ASCII letter/digit, or a non-ideographic letter or decimal digit.
function isWordStart(text, index) {
  const c = text.charCodeAt(index);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  const cp = text.codePointAt(index);
  if (cp >= 0xd800 && cp <= 0xdfff) return false; // a lone surrogate
  return letterOrDigit.test(String.fromCodePoint(cp)) && !isIdeographic(cp);
}

// .NET ToLowerInvariant: simple (one-to-one) case mapping per code point, no context (final sigma stays σ).
function toLowerInvariant(token) {
  let result = '';
  for (const ch of token) {
    if (ch === '\u0130') { result += 'i'; continue; }
    const lower = ch.toLowerCase();
    result += [...lower].length === 1 ? lower : ch;
  }
  return result;
}

// Yields {start, length, isWord} for each token, like TokenScanner.MoveNext.
export function* scanTokens(text, mode) {
  const mixed = mode === 'mixed';
  let i = 0;
  for (;;) {
    while (i < text.length && isWhiteSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) return;
    let end = i + textElementLength(text, i);
    let isWord = false;
    if (mixed && isWordStart(text, i)) {
      isWord = true;
      while (end < text.length && isWordStart(text, end)) end += textElementLength(text, end);
    }
    yield { start: i, length: end - i, isWord };
    i = end;
  }
}

export class Tokenizer {
  constructor(json) {
    const vocabulary = JSON.parse(json);
    if (vocabulary.format !== 'MLNetAttention.Vocabulary') throw new Error('the tokenizer metadata is not an MLNetAttention vocabulary');
    this.mode = String(vocabulary.options.mode).toLowerCase();
    if (this.mode !== 'char' && this.mode !== 'mixed') throw new Error(`unknown tokenization mode ${vocabulary.options.mode}`);
    this.tokens = vocabulary.tokens;
    this.ids = new Map(this.tokens.map((token, id) => [token, id]));
  }

  id(token, isWord) {
    const id = this.ids.get(isWord ? toLowerInvariant(token) : token);
    return id === undefined || id === PADDING_ID ? UNKNOWN_ID : id;
  }

  // The first maxLength tokens: ids, their places in the text, and how many tokens were dropped.
  encode(text, maxLength) {
    const tokens = [];
    let total = 0;
    for (const { start, length, isWord } of scanTokens(text, this.mode)) {
      total++;
      if (tokens.length >= maxLength) continue;
      const id = this.id(text.slice(start, start + length), isWord);
      tokens.push({ token: id === UNKNOWN_ID ? text.slice(start, start + length) : this.tokens[id], id, offset: start, length });
    }
    return { tokens, truncatedTokens: total - tokens.length };
  }
}

// ---- Scoring ----

export async function loadModel(path) {
  const bytes = readFileSync(path);
  let metadata;
  try {
    metadata = readMetadata(bytes);
  } catch (e) {
    throw new Error(`${path}: not a readable ONNX model: the file is truncated or damaged (${e.message})`);
  }
  if (!('mlnet_attention.format' in metadata))
    throw new Error(`${path}: not an MLNetAttention ONNX model (no 'mlnet_attention.format' metadata); export one with \`mlnet-attention export\``);
  if (metadata['mlnet_attention.kind'] !== 'classifier')
    throw new Error(`${path}: the model is a '${metadata['mlnet_attention.kind']}', not a classifier`);
  const session = await ort.InferenceSession.create(bytes);
  return {
    session,
    labels: JSON.parse(metadata['mlnet_attention.labels']),
    tokenizer: new Tokenizer(metadata['mlnet_attention.tokenizer']),
    maxLength: Number(metadata['mlnet_attention.max_length']),
    heads: Number(metadata['mlnet_attention.heads']),
  };
}

export async function score(model, texts) {
  const encoded = texts.map((text) => model.tokenizer.encode(text, model.maxLength));
  const length = Math.max(1, ...encoded.map((e) => e.tokens.length));
  const ids = new BigInt64Array(texts.length * length);
  encoded.forEach((e, row) => e.tokens.forEach((t, i) => { ids[row * length + i] = BigInt(t.id); }));
  const outputs = await model.session.run({ input_ids: new ort.Tensor('int64', ids, [texts.length, length]) });
  const probabilities = outputs.probabilities.data;
  const weights = outputs.attention_weights.data;
  const heads = outputs.attention_weights.dims.length === 3 ? outputs.attention_weights.dims[1] : 1;
  const classes = model.labels.length;
  return encoded.map((e, row) => {
    const rowProbabilities = Array.from(probabilities.subarray(row * classes, (row + 1) * classes));
    const best = rowProbabilities.indexOf(Math.max(...rowProbabilities));
    const tokenWeights = e.tokens.map((_, t) => {
      const perHead = [];
      for (let h = 0; h < heads; h++) perHead.push(weights[(row * heads + h) * length + t]);
      return heads === 1 ? perHead[0] : perHead;
    });
    return {
      text: texts[row],
      label: model.labels[best],
      probabilities: Object.fromEntries(model.labels.map((label, i) => [label, rowProbabilities[i]])),
      heads,
      truncatedTokens: e.truncatedTokens,
      tokens: e.tokens,
      weights: tokenWeights,
    };
  });
}

async function main(argv) {
  if (argv.length < 1) {
    console.error('usage: node score.mjs model.onnx "text" ...   (no text: one text per line from standard input)');
    return 1;
  }
  let texts = argv.slice(1);
  if (texts.length === 0) texts = readFileSync(0, 'utf8').split(/\r?\n/).filter((line) => line.trim() !== '');
  if (texts.length === 0 || texts.some((t) => t.trim() === '')) {
    console.error('error: no text to classify (empty texts are not scored)');
    return 1;
  }
  const model = await loadModel(argv[0]);
  for (const result of await score(model, texts)) process.stdout.write(JSON.stringify(result) + '\n');
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('score.mjs')) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    console.error(`error: ${e.message}`);
    process.exitCode = 3;
  });
}
