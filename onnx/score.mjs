#!/usr/bin/env node
// Scores texts, or sentence pairs, with an MLNetAttention ONNX model, using nothing but the .onnx file:
//
//   node onnx/score.mjs model.onnx "text one" "text two" ...                  (classifier)
//   node onnx/score.mjs model.onnx < texts.txt                                (classifier: one text per line)
//   node onnx/score.mjs matcher.onnx --pair "text 1" "text 2" [--pair ...]    (matcher)
//   node onnx/score.mjs matcher.onnx < pairs.tsv                              (matcher: text1 TAB text2 per line)
//
// The kind, the labels, the vocabulary, the tokenization mode and the maximum length are read from the model's
// metadata_props (keys mlnet_attention.*). Texts are tokenized exactly like AttentionTokenizer (Char and Mixed
// modes), truncated to the maximum length, padded with id 0 to the longest text (for a matcher: each side to its
// longest sentence) and scored in one batch. One JSON object per text is printed:
//   {"text", "label", "probabilities": {label: p}, "heads", "truncatedTokens",
//    "tokens": [{"token", "id", "offset", "length"}], "weights": [w per token] (or [[w per head] per token])}
// or, for a matcher, one per pair:
//   {"text1", "text2", "label" ("1" = match, when p >= 0.5), "probability" (of a match), "probabilities": {"0", "1"},
//    "truncatedTokens1", "truncatedTokens2", "tokens1", "weights1", "tokens2", "weights2"}
// plus, for a cross-attention matcher (mlnet_attention.matcher_kind "Cross": the graph has an "alignment" output),
//   "alignment": one row per token of text1, each with one weight per token of text2 (each row sums to 1).
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
  const kind = metadata['mlnet_attention.kind'];
  if (kind !== 'classifier' && kind !== 'matcher')
    throw new Error(`${path}: the model kind '${kind}' is unknown to this score.mjs (it reads 'classifier' and 'matcher')`);
  const session = await ort.InferenceSession.create(bytes);
  return {
    kind,
    session,
    labels: JSON.parse(metadata['mlnet_attention.labels']),
    tokenizer: new Tokenizer(metadata['mlnet_attention.tokenizer']),
    maxLength: Number(metadata['mlnet_attention.max_length']),
    heads: Number(metadata['mlnet_attention.heads']),
    // "Siamese", "Interactive", "Triplet" or "Cross" (null for a classifier or a file written before the key existed).
    matcherKind: metadata['mlnet_attention.matcher_kind'] ?? null,
    hasAlignment: session.outputNames.includes('alignment'),
  };
}

// Token ids of encoded sentences, padded with 0 to the longest (at least 1 step): [ids, length].
function padIds(encoded) {
  const length = Math.max(1, ...encoded.map((e) => e.tokens.length));
  const ids = new BigInt64Array(encoded.length * length);
  encoded.forEach((e, row) => e.tokens.forEach((t, i) => { ids[row * length + i] = BigInt(t.id); }));
  return [ids, length];
}

export async function score(model, texts) {
  if (model.kind !== 'classifier') throw new Error(`the model is a '${model.kind}', not a classifier; score pairs with scorePairs`);
  const encoded = texts.map((text) => model.tokenizer.encode(text, model.maxLength));
  const [ids, length] = padIds(encoded);
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

// Scores sentence pairs [[text1, text2], ...] with a matcher (inputs input_ids_1, input_ids_2).
export async function scorePairs(model, pairs) {
  if (model.kind !== 'matcher') throw new Error(`the model is a '${model.kind}', not a matcher; score texts with score`);
  const encode = (text, row, side) => {
    const e = model.tokenizer.encode(text, model.maxLength);
    if (e.tokens.length === 0) throw new Error(`pair ${row}: ${side} has no tokens; there is nothing to match`);
    return e;
  };
  const encoded1 = pairs.map(([text1], row) => encode(text1, row, 'text1'));
  const encoded2 = pairs.map(([, text2], row) => encode(text2, row, 'text2'));
  const [ids1, length1] = padIds(encoded1);
  const [ids2, length2] = padIds(encoded2);
  const outputs = await model.session.run({
    input_ids_1: new ort.Tensor('int64', ids1, [pairs.length, length1]),
    input_ids_2: new ort.Tensor('int64', ids2, [pairs.length, length2]),
  });
  const probabilities = outputs.probabilities.data;
  const weights1 = outputs.attention_weights_1.data;
  const weights2 = outputs.attention_weights_2.data;
  const alignment = model.hasAlignment ? outputs.alignment.data : null;
  // Row r of the [batch, length1, length2] alignment, cut to the pair's tokens: one array per token of text1.
  const alignmentRows = (row) => encoded1[row].tokens.map((_, i) =>
    Array.from(alignment.subarray((row * length1 + i) * length2, (row * length1 + i) * length2 + encoded2[row].tokens.length)));
  return pairs.map(([text1, text2], row) => {
    const probability = probabilities[row * 2 + 1];
    const result = {
      text1,
      text2,
      label: model.labels[probability >= 0.5 ? 1 : 0],
      probability,
      probabilities: { [model.labels[0]]: probabilities[row * 2], [model.labels[1]]: probability },
      truncatedTokens1: encoded1[row].truncatedTokens,
      truncatedTokens2: encoded2[row].truncatedTokens,
      tokens1: encoded1[row].tokens,
      weights1: encoded1[row].tokens.map((_, t) => weights1[row * length1 + t]),
      tokens2: encoded2[row].tokens,
      weights2: encoded2[row].tokens.map((_, t) => weights2[row * length2 + t]),
    };
    if (alignment) result.alignment = alignmentRows(row);
    return result;
  });
}

// Matcher arguments: --pair TEXT1 TEXT2, repeated; none: "text1<TAB>text2" lines from standard input.
function readPairs(args) {
  const pairs = [];
  if (args.length === 0) {
    const lines = readFileSync(0, 'utf8').split(/\r?\n/).filter((line) => line.trim() !== '');
    lines.forEach((line, i) => {
      const tab = line.indexOf('\t');
      if (tab < 0) throw new Error(`line ${i + 1} has no TAB: a matcher reads "text1<TAB>text2" per line`);
      pairs.push([line.slice(0, tab), line.slice(tab + 1)]);
    });
  } else {
    for (let i = 0; i < args.length; i += 3) {
      if (args[i] !== '--pair' || i + 2 >= args.length)
        throw new Error('a matcher scores pairs: --pair "text 1" "text 2" (repeatable), or text1<TAB>text2 lines on standard input');
      pairs.push([args[i + 1], args[i + 2]]);
    }
  }
  if (pairs.length === 0) throw new Error('no pair to match');
  pairs.forEach(([text1, text2], i) => {
    if (text1.trim() === '' || text2.trim() === '')
      throw new Error(`pair ${i}: ${text1.trim() === '' ? 'text1' : 'text2'} is empty; both sentences of a pair are needed to match them`);
  });
  return pairs;
}

async function main(argv) {
  if (argv.length < 1) {
    console.error('usage: node score.mjs model.onnx "text" ...   (no text: one text per line from standard input)\n'
      + '       node score.mjs matcher.onnx --pair "text 1" "text 2" ...   (no pair: text1<TAB>text2 per line from standard input)');
    return 1;
  }
  const model = await loadModel(argv[0]);
  if (model.kind === 'matcher') {
    let pairs;
    try {
      pairs = readPairs(argv.slice(1));
    } catch (e) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    for (const result of await scorePairs(model, pairs)) process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  }
  let texts = argv.slice(1);
  if (texts.includes('--pair')) {
    console.error('error: --pair is for matchers; this model is a classifier (pass texts)');
    return 1;
  }
  if (texts.length === 0) texts = readFileSync(0, 'utf8').split(/\r?\n/).filter((line) => line.trim() !== '');
  if (texts.length === 0 || texts.some((t) => t.trim() === '')) {
    console.error('error: no text to classify (empty texts are not scored)');
    return 1;
  }
  for (const result of await score(model, texts)) process.stdout.write(JSON.stringify(result) + '\n');
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('score.mjs')) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    console.error(`error: ${e.message}`);
    process.exitCode = 3;
  });
}
