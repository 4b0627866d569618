"""A DEFLATE decoder in JavaScript, for the player's page (``graphnn.views.player``).

The player stores its frames compressed (Python's ``zlib``, raw DEFLATE, RFC 1951) and
base64-encoded: the SVG of a replay repeats itself a great deal, and a few hundred frames of
a few hundred nodes shrink about ten times. Browsers decode DEFLATE only asynchronously
(``DecompressionStream``), which would show the page empty for a moment and differ between
browsers and notebooks; this decoder is synchronous and plain JavaScript, so the page works
as before, from ``file://``, anywhere. ``INFLATE_JS`` defines ``inflate(bytes)`` (a
``Uint8Array`` in, a ``Uint8Array`` out) and ``unpack(base64)`` (the base64 text of
compressed UTF-8 text in, the text out).

It follows Mark Adler's ``puff.c`` (the reference decoder in zlib's sources): stored, fixed
and dynamic Huffman blocks, codes decoded one bit at a time with canonical code counts.
tests/test_player.py decodes in Chromium what ``zlib`` wrote, stored blocks included.
"""

__all__ = ["INFLATE_JS"]

#: the JavaScript source: ``inflate(bytes)`` and ``unpack(base64)``, defined at the top level
INFLATE_JS = r"""
function inflate(input) {
  var pos = 0, bit = 0, out = new Uint8Array(Math.max(1024, input.length * 8)), size = 0;
  var LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83,
               99, 115, 131, 163, 195, 227, 258];
  var LEXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  var DBASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
               1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
  var DEXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
                12, 12, 13, 13];
  var ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  function fail(why) { throw new Error("inflate: " + why); }
  function bits(n) {  // the next n bits, the first read the least significant
    var value = 0;
    for (var i = 0; i < n; i++) {
      if (pos >= input.length) { fail("the data ends too soon"); }
      value |= ((input[pos] >> bit) & 1) << i;
      if (++bit === 8) { bit = 0; pos++; }
    }
    return value;
  }
  function room(n) {
    if (size + n <= out.length) { return; }
    var larger = new Uint8Array(Math.max(out.length * 2, size + n));
    larger.set(out.subarray(0, size));
    out = larger;
  }
  function code(lengths) {  // a canonical Huffman code: how many codes of each length, symbols in order
    var count = new Uint16Array(16), offset = new Uint16Array(16), symbol = new Uint16Array(lengths.length);
    for (var s = 0; s < lengths.length; s++) { count[lengths[s]]++; }
    count[0] = 0;
    for (var n = 1; n < 15; n++) { offset[n + 1] = offset[n] + count[n]; }
    for (var t = 0; t < lengths.length; t++) { if (lengths[t]) { symbol[offset[lengths[t]]++] = t; } }
    return { count: count, symbol: symbol };
  }
  function decode(h) {
    var value = 0, first = 0, index = 0;
    for (var n = 1; n < 16; n++) {
      value |= bits(1);
      var count = h.count[n];
      if (value - first < count) { return h.symbol[index + value - first]; }
      index += count; first = (first + count) << 1; value <<= 1;
    }
    fail("a code that is not in its table");
  }
  function lengthsOf(table) {
    var lengths = [];
    for (var r = 0; r < table.length; r += 2) { for (var k = 0; k < table[r + 1]; k++) { lengths.push(table[r]); } }
    return lengths;
  }
  var FIXED = [code(lengthsOf([8, 144, 9, 112, 7, 24, 8, 8])), code(lengthsOf([5, 30]))];
  function dynamic() {
    var nlen = bits(5) + 257, ndist = bits(5) + 1, ncode = bits(4) + 4, lengths = [], k;
    var codeLengths = new Array(19).fill(0);
    for (k = 0; k < ncode; k++) { codeLengths[ORDER[k]] = bits(3); }
    var lencode = code(codeLengths);
    while (lengths.length < nlen + ndist) {
      var symbol = decode(lencode), repeat = 0, value = 0;
      if (symbol < 16) { lengths.push(symbol); continue; }
      if (symbol === 16) {
        if (!lengths.length) { fail("a repeat with nothing before it"); }
        value = lengths[lengths.length - 1]; repeat = 3 + bits(2);
      } else if (symbol === 17) { repeat = 3 + bits(3); } else { repeat = 11 + bits(7); }
      for (k = 0; k < repeat; k++) { lengths.push(value); }
    }
    return [code(lengths.slice(0, nlen)), code(lengths.slice(nlen, nlen + ndist))];
  }
  var last = 0;
  while (!last) {
    last = bits(1);
    var type = bits(2);
    if (type === 0) {  // stored: the bytes as they are
      if (bit) { bit = 0; pos++; }
      var length = input[pos] | (input[pos + 1] << 8);
      pos += 4;
      if (pos + length > input.length) { fail("a stored block longer than the data"); }
      room(length);
      out.set(input.subarray(pos, pos + length), size);
      size += length; pos += length;
      continue;
    }
    if (type === 3) { fail("a block of an unknown type"); }
    var codes = type === 1 ? FIXED : dynamic();
    for (;;) {
      var symbol = decode(codes[0]);
      if (symbol < 256) { room(1); out[size++] = symbol; continue; }
      if (symbol === 256) { break; }
      symbol -= 257;
      if (symbol >= 29) { fail("a length code out of range"); }
      var n = LBASE[symbol] + bits(LEXTRA[symbol]), d = decode(codes[1]);
      if (d >= 30) { fail("a distance code out of range"); }
      var distance = DBASE[d] + bits(DEXTRA[d]);
      if (distance > size) { fail("a distance before the start"); }
      room(n);
      for (var c = 0; c < n; c++, size++) { out[size] = out[size - distance]; }
    }
  }
  return out.subarray(0, size);
}
function unpack(base64) {
  var raw = atob(base64), bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
  return new TextDecoder("utf-8").decode(inflate(bytes));
}
"""
