/* Static search: answers the search page's queries from the files the build writes
 * under _search/static/ (search/static/writer.py), in the browser, with no service.
 * Same normalisation (the table in chars.*.bin), the same query syntax, and the same
 * evaluation as search/engine.py's Searcher._search: exact totals and facet counts,
 * BM25F scores computed with the same floating-point operations, ties newest first.
 * Loaded by search.js only when it is needed; defines window.BulletinStaticSearch. */
(function () {
  "use strict";

  var MAX_QUERY_CHARS = 200;
  var MAX_TERMS = 16;
  var MAX_WINDOW = 1000;
  var SNIPPET_CHARS = 110;
  var ELLIPSIS = "\u2026";
  var FIELDS = ["title", "slogans", "body"];
  var FILTER_FIELDS = ["county", "theme", "slogan", "year"];

  function BadRequest(message) { this.message = message; }

  /* ------------------------------------------------------------------ files */

  function Files(entryUrl) {
    this.entryUrl = entryUrl;
    this.cache = new Map();
  }

  Files.prototype.url = function (name) { return new URL(name, this.entryUrl).href; };

  /* A stored file's bytes: fetched once per page, then decompressed (the files are
   * stored gzip-compressed; a host that sent one with Content-Encoding: gzip had the
   * browser decompress it already, which the gzip magic number tells). */
  Files.prototype.bytes = function (name) {
    var url = this.url(name);
    var found = this.cache.get(url);
    if (found) { return found; }
    var promise = fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status + " for " + url); }
      return response.arrayBuffer();
    }).then(function (buffer) {
      var head = new Uint8Array(buffer, 0, Math.min(2, buffer.byteLength));
      if (head[0] !== 0x1f || head[1] !== 0x8b) { return new Uint8Array(buffer); }
      var stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Response(stream).arrayBuffer().then(function (data) { return new Uint8Array(data); });
    });
    promise.catch(function () { this.cache.delete(url); }.bind(this));
    this.cache.set(url, promise);
    return promise;
  };

  Files.prototype.json = function (name, encoding) {
    return this.bytes(name).then(function (data) {
      return JSON.parse(new TextDecoder(encoding || "utf-8").decode(data));
    });
  };

  Files.prototype.text = function (name, encoding) {
    return this.bytes(name).then(function (data) { return new TextDecoder(encoding).decode(data); });
  };

  /* The entry names everything else; it is revalidated on every page load. */
  Files.prototype.entry = function () {
    if (!this.entryPromise) {
      var url = this.entryUrl;
      this.entryPromise = fetch(url, { credentials: "same-origin", cache: "no-cache" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status + " for " + url); }
          return response.json();
        });
      this.entryPromise.catch(function () { this.entryPromise = null; }.bind(this));
    }
    return this.entryPromise;
  };

  /* ------------------------------------------------------------------ varints */

  function Reader(bytes, at) { this.b = bytes; this.at = at || 0; }
  Reader.prototype.next = function () {
    var b = this.b, value = 0, mul = 1, byte;
    do {
      byte = b[this.at++];
      value += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return value;
  };
  Reader.prototype.list = function (count) {
    var out = new Int32Array(count);
    for (var i = 0; i < count; i++) { out[i] = this.next(); }
    return out;
  };
  Reader.prototype.deltas = function (count) {
    var out = new Int32Array(count), last = 0;
    for (var i = 0; i < count; i++) { last = (i ? last : 0) + this.next(); out[i] = last; }
    return out;
  };

  /* ------------------------------------------------------------------ normalisation */

  function Normaliser(data) {
    this.table = data.table;  // one character -> its normalised string (keys: one character)
    this.lineBreaks = new Set(Array.from(data.line_breaks));
    this.spaces = new Set(Array.from(data.spaces));
    this.memo = new Map();
    // BMP characters unassigned in the build's Unicode: kept as they are there
    this.unassigned = [];
    var flat = data.unassigned || [], last = 0;
    for (var i = 0; i + 1 < flat.length; i += 2) {
      var lo = last + flat[i], hi = lo + flat[i + 1];
      this.unassigned.push([lo, hi]);
      last = hi;
    }
  }

  Normaliser.prototype.isUnassigned = function (cp) {
    var list = this.unassigned, lo = 0, hi = list.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (cp < list[mid][0]) { hi = mid - 1; }
      else if (cp > list[mid][1]) { lo = mid + 1; }
      else { return true; }
    }
    return false;
  };

  /* One character (a code point) -> its normalised string (search/analysis.py). */
  Normaliser.prototype.char = function (c) {
    var found = this.memo.get(c);
    if (found !== undefined) { return found; }
    var out = this.table[c];
    if (out === undefined && this.isUnassigned(c.codePointAt(0))) { out = c; }
    if (out === undefined) {
      out = "";
      var parts = Array.from(c.normalize("NFKC").toLowerCase());
      for (var i = 0; i < parts.length; i++) {
        var p = parts[i];
        if (this.lineBreaks.has(p)) { out += "\n"; }
        else if (this.spaces.has(p)) { out += " "; }
        else {
          var mapped = this.table[p];
          out += mapped === undefined ? p : mapped;
        }
      }
    }
    this.memo.set(c, out);
    return out;
  };

  Normaliser.prototype.normalise = function (text) {
    var out = "";
    for (var c of text) { out += this.char(c); }
    return out;
  };

  /* Normalised text, and span(i, n): where in `text` (code units) the normalised code
   * units i to i + n come from, [start, end]. Where every character normalises to as
   * many code units as it has (most text), the indexes are the same. */
  Normaliser.prototype.withOffsets = function (text) {
    var parts = [], same = true;
    for (var c of text) {
      var norm = this.char(c);
      parts.push(norm);
      if (norm.length !== c.length) { same = false; }
    }
    var joined = parts.join("");
    if (same) { return { text: joined, span: function (i, n) { return [i, i + n]; } }; }
    var starts = [], ends = [], at = 0, k = 0;
    for (var ch of text) {
      for (var u = 0; u < parts[k].length; u++) { starts.push(at); ends.push(at + ch.length); }
      at += ch.length;
      k++;
    }
    return { text: joined, span: function (i, n) { return [starts[i], ends[i + n - 1]]; } };
  };

  /* The units of a query literal: one run, spaces collapsed (analysis.literal_units). */
  Normaliser.prototype.units = function (literal) {
    var norm = this.normalise(literal).replace(/\n/g, " ");
    return Array.from(norm.split(" ").filter(Boolean).join(" "));
  };

  /* ------------------------------------------------------------------ query syntax */

  function isControl(c) {
    return /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/u.test(c);
  }

  /* Control characters become spaces; full-width ASCII forms become ASCII. */
  function clean(text, spaces, lineBreaks) {
    var out = "";
    for (var c of text) {
      var cp = c.codePointAt(0);
      if (isControl(c) || spaces.has(c) || lineBreaks.has(c)) { out += " "; }
      else if (cp >= 0xff01 && cp <= 0xff5e) { out += c.normalize("NFKC"); }
      else { out += c; }
    }
    return out;
  }

  function pyStrip(text) { return text.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, ""); }

  function words(q) {
    var out = [], i = 0, n = q.length;
    while (i < n) {
      if (q[i] === " ") { i++; continue; }
      var start = i;
      while (i < n && q[i] !== " " && q[i] !== "\"") { i++; }
      var head = q.slice(start, i);
      if (i < n && q[i] === "\"" && (head === "" || head === "-" || head.endsWith(":"))) {
        var close = q.indexOf("\"", i + 1);
        var end = close < 0 ? n : close;
        out.push([head, q.slice(i + 1, end), true]);
        i = end + 1;
        continue;
      }
      while (i < n && q[i] !== " ") { i++; }
      out.push(["", q.slice(start, i), false]);
    }
    return out;
  }

  function clause(head, text, quoted) {
    var negated = false;
    var word = quoted ? head : text;
    if (word.startsWith("-") && (word.length > 1 || quoted)) { negated = true; word = word.slice(1); }
    var colon = word.indexOf(":");
    if (colon >= 0) {
      var name = word.slice(0, colon), value = quoted ? text : word.slice(colon + 1);
      if (FILTER_FIELDS.indexOf(name.toLowerCase()) >= 0 && pyStrip(value)) {
        return [{ filter: name.toLowerCase(), value: pyStrip(value) }, negated];
      }
    }
    if (quoted) { word = word ? word + text : text; }
    return pyStrip(word) ? [{ literal: word }, negated] : null;
  }

  /* search/query.py parse(): {must: [clause], mustNot: [clause]}. */
  function parse(q, spaces, lineBreaks) {
    var items = [], negateNext = false;
    words(clean(q, spaces, lineBreaks)).forEach(function (w) {
      if (!w[2] && (w[1] === "OR" || w[1] === "AND" || w[1] === "NOT")) {
        if (w[1] === "NOT") { negateNext = true; } else { items.push(w[1]); }
        return;
      }
      var parsed = clause(w[0], w[1], w[2]);
      if (!parsed) { return; }
      items.push([parsed[0], parsed[1] !== negateNext]);
      negateNext = false;
    });
    var terms = items.filter(function (x) { return typeof x !== "string"; });
    if (terms.length > MAX_TERMS) { throw new BadRequest("搜索词最多 " + MAX_TERMS + " 个"); }
    if (!terms.length) { throw new BadRequest("请输入搜索词"); }
    var must = [], mustNot = [], group = [], joining = false;
    function flush() {
      if (group.length) { must.push(group.length === 1 ? group[0] : { any: group }); }
    }
    items.forEach(function (item) {
      if (typeof item === "string") { joining = item === "OR" && group.length > 0; return; }
      if (item[1]) { mustNot.push(item[0]); }
      else if (joining) { group.push(item[0]); }
      else { flush(); group = [item[0]]; }
      joining = false;
    });
    flush();
    return { must: must, mustNot: mustNot };
  }

  /* ------------------------------------------------------------------ the index */

  function fnv1a(codes) {
    var h = 0x811c9dc5;
    for (var i = 0; i < codes.length; i++) { h = Math.imul(h ^ codes[i], 0x01000193) >>> 0; }
    return h;
  }

  function hex32(value) { return ("00000000" + value.toString(16)).slice(-8); }

  function Index(files, entry, variant) {
    this.files = files;
    this.entry = entry;
    this.variant = variant;
    this.records = new Map();  // gram -> Promise of its record
  }

  Index.prototype.load = function () {
    var self = this, entry = this.entry;
    return Promise.all([
      this.files.json(entry.chars),
      this.files.json(entry.names),
      this.files.bytes(entry.doc_table),
      this.variant === entry.source ? null : this.files.text(entry.scripts[this.variant], "utf-16le"),
      this.files.bytes(entry.shard_names),
    ]).then(function (parts) {
      self.shardNames = parts[4];
      self.normaliser = new Normaliser(parts[0]);
      self.names = parts[1];
      self.script = scriptTable(parts[3]);
      var r = new Reader(parts[2]), n = r.next();
      self.docs = n;
      self.county = r.list(n);
      self.theme = r.list(n);
      self.lengths = FIELDS.map(function () { return r.list(n); });
      self.fragments = parts[2].subarray(r.at, r.at + 4 * n);
      self.norms = FIELDS.map(function (field, f) {
        var B = entry.bm25.B, K1 = entry.bm25.K1, avgfl = entry.avgfl[field] || 1;
        var table = self.names.lengths, out = new Float64Array(n);
        for (var d = 0; d < n; d++) {
          var byte = self.lengths[f][d];
          var fl = byte ? table[byte] : 1;
          out[d] = K1 * ((1 - B) + B * fl / avgfl);
        }
        return out;
      });
      self.keys = {};
      ["county", "theme"].forEach(function (name) {
        var map = new Map();
        self.names[name].forEach(function (item, i) { map.set(item.key, i); });
        self.keys[name] = map;
      });
      self.keys.slogan = new Map();
      self.names.slogan.forEach(function (key, i) { self.keys.slogan.set(key, i); });
      return self;
    });
  };

  Index.prototype.shardName = function (number) {
    var bytes = this.shardNames, at = number * 8, name = "";
    for (var i = 0; i < 8; i++) { name += ("0" + bytes[at + i].toString(16)).slice(-2); }
    return "s/" + name + ".bin";
  };

  /* The header and record of one gram (code points), from its shard:
   * {order, df: [per field], a: bytes or a name, b: bytes or a name} or null. */
  Index.prototype.record = function (codes) {
    var key = codes.join(",");
    var found = this.records.get(key);
    if (found) { return found; }
    var self = this, number = fnv1a(codes) % this.entry.shards;
    var promise = this.files.bytes(this.shardName(number)).then(function (bytes) {
      return findRecord(bytes, codes);
    });
    this.records.set(key, promise);
    return promise;
  };

  function findRecord(bytes, codes) {
    var r = new Reader(bytes), count = r.next(), heads = [], match = -1;
    for (var t = 0; t < count; t++) {
      var order = r.next(), same = order === codes.length;
      for (var j = 0; j < order; j++) { if (r.next() !== codes[j]) { same = false; } }
      var df = [r.next(), r.next(), r.next()], length = r.next();
      heads.push({ df: df, length: length });
      if (same) { match = t; }
    }
    var bigCount = r.next(), bigs = [];
    for (var k = 0; k < bigCount; k++) {
      var parts = [];
      for (var p = 0; p < 2; p++) {
        var hi = r.next(), lo = r.next(), len = r.next();
        parts.push(hi || lo || len ? "b/" + hex32(hi) + hex32(lo) + ".bin" : null);
      }
      bigs.push(parts);
    }
    if (match < 0) { return null; }
    var at = r.at;
    for (var i = 0; i < match; i++) {
      if (!(heads[i].length & 1)) { at += heads[i].length / 2; }
    }
    var head = heads[match];
    if (head.length & 1) {
      var big = bigs[(head.length - 1) / 2];
      return { df: head.df, a: big[0], b: big[1], inline: false };
    }
    return { df: head.df, data: bytes.subarray(at, at + head.length / 2), inline: true };
  }

  /* Part A of a record: per field {docs: Int32Array, counts: Int32Array or null}, and
   * where part B starts (inline records). With counts, each document is followed by
   * the gram's count in it. */
  function readPartA(bytes, df, counts) {
    var r = new Reader(bytes), out = [];
    for (var f = 0; f < 3; f++) {
      if (!df[f]) { out.push(null); continue; }
      var n = df[f], docs = new Int32Array(n), last = 0;
      var many = counts ? new Int32Array(n) : null;
      for (var i = 0; i < n; i++) {
        last += r.next();
        docs[i] = last;
        if (many) { many[i] = r.next(); }
      }
      out.push({ docs: docs, counts: many });
    }
    return { fields: out, end: r.at };
  }

  /* A place as one number: its run's number times 2^32 plus its offset in the run. */
  var RUN = 4294967296;

  /* Places (part B) per field: an array of place numbers per document. Each place is
   * a pair: its run's number (unique in the text, drawn from the run's text), and its
   * offset, less the place before's where that is in the same run. */
  function readPlaces(bytes, at, fields) {
    var r = new Reader(bytes, at);
    return fields.map(function (field) {
      if (!field) { return null; }
      var out = [];
      for (var i = 0; i < field.docs.length; i++) {
        var count = field.counts[i], places = new Float64Array(count), run = -1, offset = 0;
        for (var k = 0; k < count; k++) {
          var next = r.next(), value = r.next();
          offset = next === run ? offset + value : value;
          run = next;
          places[k] = run * RUN + offset;
        }
        out.push(places);
      }
      return out;
    });
  }

  /* A gram's postings: {fields: [per field {docs, counts, places?}]} or null. */
  Index.prototype.postings = function (codes, positions) {
    var self = this, order = codes.length, counts = order === 2 || order === 4;
    return this.record(codes).then(function (rec) {
      if (!rec) { return null; }
      if (rec.inline) { return readRecord(rec.df, counts, rec.data, positions ? rec.data : null); }
      // a big record's parts, fetched at once (part B only for places)
      var wanted = positions && rec.b ? self.files.bytes(rec.b) : Promise.resolve(null);
      return Promise.all([self.files.bytes(rec.a), wanted]).then(function (parts) {
        return readRecord(rec.df, counts, parts[0], parts[1], true);
      });
    });
  };

  /* {df, fields} from part A and, when places are wanted, part B (inline: the same
   * bytes, part B after part A; ``apart``: a file of its own). */
  function readRecord(df, counts, a, b, apart) {
    var partA = readPartA(a, df, counts);
    if (b) {
      var places = readPlaces(b, apart ? 0 : partA.end, partA.fields);
      partA.fields.forEach(function (field, f) { if (field) { field.places = places[f]; } });
    }
    return { df: df, fields: partA.fields };
  }

  /* ------------------------------------------------------------------ evaluation */

  function cover(count, step) {
    var out = [];
    for (var k = 0; k < count; k += step) { out.push(k); }
    if (out[out.length - 1] !== count - 1) { out.push(count - 1); }
    return out;
  }

  /* Documents of any part, scores summed as engine._union (a balanced tree). */
  function union(parts) {
    if (parts.length === 1) { return parts[0]; }
    var half = Math.floor(parts.length / 2);
    var a = union(parts.slice(0, half)), b = union(parts.slice(half));
    if (a.size < b.size) { var t = a; a = b; b = t; }
    var out = new Map(a);
    b.forEach(function (s, d) {
      var v = out.get(d);
      out.set(d, v === undefined ? s : v + s);
    });
    return out;
  }

  function intersect(a, b) {
    if (b.size < a.size) { var t = a; a = b; b = t; }
    var out = new Map();
    a.forEach(function (s, d) {
      var v = b.get(d);
      if (v !== undefined) { out.set(d, s + v); }
    });
    return out;
  }

  Index.prototype.idf = function (df) {
    return Math.log(this.docs / (df + 1)) + 1;
  };

  /* BM25F of one bigram in one field for the documents `docs` (ascending), given the
   * bigram's postings in that field; as engine._Run._scores. */
  Index.prototype.bm25 = function (f, field, df, docs) {
    var weight = this.entry.weights[FIELDS[f]], idf = this.idf(df), c = this.entry.bm25.K1 + 1;
    var norms = this.norms[f], out = new Float64Array(docs.length), j = 0;
    for (var i = 0; i < docs.length; i++) {
      while (field.docs[j] < docs[i]) { j++; }
      var w = field.counts[j] * weight;
      out[i] = idf * ((w * c) / (w + norms[docs[i]]));
    }
    return out;
  };

  Index.prototype.literal = function (text) {
    var units = this.normaliser.units(text);
    var codes = units.map(function (u) { return u.codePointAt(0); });
    var self = this, n = codes.length;
    if (!n) { return Promise.resolve(null); }
    if (n === 1) {
      return this.postings(codes, false).then(function (rec) {
        return union(FIELDS.map(function (name, f) {
          var out = new Map(), field = rec && rec.fields[f];
          if (field) { field.docs.forEach(function (d) { out.set(d, self.entry.weights[name]); }); }
          return out;
        }));
      });
    }
    var bigrams = [];
    for (var k = 0; k + 1 < n; k++) { bigrams.push(codes.slice(k, k + 2)); }
    var scoring = cover(bigrams.length, 2);
    var gramsNeeded = scoring.map(function (k) { return self.postings(bigrams[k], false); });
    var matching;
    if (n === 2) {
      matching = Promise.resolve(null);
    } else if (n <= 4) {
      matching = this.postings(codes, false).then(function (rec) { return [rec]; });
    } else {
      var offsets = cover(n - 3, 4);
      matching = Promise.all(offsets.map(function (o) {
        return self.postings(codes.slice(o, o + 4), true);
      }));
    }
    return Promise.all([Promise.all(gramsNeeded), matching]).then(function (got) {
      var leaves = got[0], grams = got[1];
      return union(FIELDS.map(function (name, f) {
        var docs = self.matchField(f, n, leaves, grams);
        var out = new Map();
        if (!docs.length) { return out; }
        var total = null;
        leaves.forEach(function (leaf) {
          var s = self.bm25(f, leaf.fields[f], leaf.df[f], docs);
          if (total === null) { total = s; } else { for (var i = 0; i < s.length; i++) { total[i] += s[i]; } }
        });
        docs.forEach(function (d, i) { out.set(d, total[i]); });
        return out;
      }));
    });
  };

  /* The documents (ascending) whose field f holds the literal. */
  Index.prototype.matchField = function (f, n, leaves, grams) {
    var i;
    for (i = 0; i < leaves.length; i++) { if (!leaves[i] || !leaves[i].fields[f]) { return []; } }
    if (n === 2) { return Array.from(leaves[0].fields[f].docs); }
    for (i = 0; i < grams.length; i++) { if (!grams[i] || !grams[i].fields[f]) { return []; } }
    if (n <= 4) { return Array.from(grams[0].fields[f].docs); }
    // n >= 5: the 4-grams at cover offsets, at those offsets from one start position
    var offsets = cover(n - 3, 4), lists = grams.map(function (g) { return g.fields[f]; });
    var index = lists.map(function (list) {
      var m = new Map();
      list.docs.forEach(function (d, j) { m.set(d, j); });
      return m;
    });
    var out = [];
    lists[0].docs.forEach(function (d, j0) {
      var js = [j0];
      for (var k = 1; k < lists.length; k++) {
        var j = index[k].get(d);
        if (j === undefined) { return; }
        js.push(j);
      }
      var starts = new Set(lists[0].places[j0]);
      for (var k2 = 1; k2 < lists.length && starts.size; k2++) {
        var next = new Set();
        var shift = offsets[k2];
        lists[k2].places[js[k2]].forEach(function (p) {
          // the same run: the gram's offset is at least the shift
          if (p % RUN >= shift && starts.has(p - shift)) { next.add(p - shift); }
        });
        starts = next;
      }
      if (starts.size) { out.push(d); }
    });
    return out;
  };

  Index.prototype.filter = function (flt) {
    var out = new Map(), self = this, i;
    if (flt.filter === "year") {
      this.entry.years.forEach(function (run) {
        if (run[0] === flt.value) { for (i = run[1]; i < run[2]; i++) { out.set(i, 1.0); } }
      });
      return Promise.resolve(out);
    }
    var key = pyStrip(this.normaliser.normalise(flt.value));
    var number = this.keys[flt.filter].get(key);
    if (number === undefined) { return Promise.resolve(out); }
    if (flt.filter === "slogan") {
      return this.files.bytes(this.entry.slogans).then(function (bytes) {
        var r = new Reader(bytes), count = r.next();
        for (var s = 0; s < count; s++) {
          var which = r.next(), docs = r.deltas(r.next());
          if (which === number) { docs.forEach(function (d) { out.set(d, 1.0); }); break; }
        }
        return out;
      });
    }
    var column = flt.filter === "county" ? self.county : self.theme;
    for (i = 0; i < this.docs; i++) { if (column[i] === number) { out.set(i, 1.0); } }
    return Promise.resolve(out);
  };

  Index.prototype.clause = function (c) {
    var self = this;
    if (c.literal !== undefined) { return this.literal(c.literal); }
    if (c.filter !== undefined) { return this.filter(c); }
    return Promise.all(c.any.map(function (x) { return self.clause(x); })).then(function (parts) {
      parts = parts.filter(function (p) { return p !== null; });
      return parts.length ? union(parts) : null;
    });
  };

  Index.prototype.cost = function (c) {
    var self = this;
    if (c.literal !== undefined) { return this.normaliser.units(c.literal).length > 2 ? 1 : 0; }
    if (c.any !== undefined) {
      return Math.max.apply(null, c.any.map(function (x) { return self.cost(x); }));
    }
    return 0;
  };

  /* {total, hits: [doc numbers], facets: {county: Map(number -> count), theme: ...}} */
  Index.prototype.run = function (query, offset, limit) {
    var self = this;
    var must = query.must.map(function (c, i) { return [self.cost(c), i, c]; });
    must.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    return Promise.all([
      Promise.all(must.map(function (m) { return self.clause(m[2]); })),
      Promise.all(query.mustNot.map(function (c) { return self.clause(c); })),
    ]).then(function (got) {
      var scored = null;
      got[0].forEach(function (part) {
        if (part === null) { return; }
        scored = scored === null ? part : intersect(scored, part);
      });
      if (scored === null) {
        scored = new Map();
        for (var d = 0; d < self.docs; d++) { scored.set(d, 1.0); }
      }
      var negative = new Set();
      got[1].forEach(function (part) { if (part) { part.forEach(function (_, d) { negative.add(d); }); } });
      var docs = [];
      scored.forEach(function (s, d) { if (!negative.has(d)) { docs.push(d); } });
      var facets = { county: new Map(), theme: new Map() };
      docs.forEach(function (d) {
        var c = self.county[d], t = self.theme[d];
        facets.county.set(c, (facets.county.get(c) || 0) + 1);
        facets.theme.set(t, (facets.theme.get(t) || 0) + 1);
      });
      docs.sort(function (a, b) { return (scored.get(b) - scored.get(a)) || (a - b); });
      return { total: docs.length, hits: docs.slice(offset, offset + limit), facets: facets,
        scores: docs.slice(offset, offset + limit).map(function (d) { return scored.get(d); }) };
    });
  };

  /* A document's fragment in the reader's script: the sources' texts, or each text
   * converted character by character with the script's table and the fragment's
   * changes (search/static/fragments.py). */
  Index.prototype.fragment = function (doc) {
    var self = this, b = this.fragments, at = doc * 4;
    var hash = hex32(((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0);
    return this.files.json("f/" + doc + "-" + hash + ".bin", "utf-16le").then(function (frag) {
      if (!self.script) { return frag; }
      var changes = frag.variants[self.variant] || {}, out = { slug: frag.slug, date: frag.date };
      SHOWN.forEach(function (name) { out[name] = convert(frag[name], changes[name], self.script); });
      return out;
    });
  };

  var SHOWN = ["title", "county", "theme", "body"];

  function scriptTable(text) {
    if (text === null) { return null; }
    var chars = Array.from(text), table = new Map();
    for (var i = 0; i + 1 < chars.length; i += 2) { table.set(chars[i], chars[i + 1]); }
    return table;
  }

  /* A text in another script: given as it is (a string), or the base converted with the
   * table, then [skip, replacement, ...] applied. */
  function convert(base, change, table) {
    if (typeof change === "string") { return change; }
    var chars = Array.from(base);
    for (var i = 0; i < chars.length; i++) {
      var to = table.get(chars[i]);
      if (to !== undefined) { chars[i] = to; }
    }
    var at = 0;
    for (var k = 0; change && k + 1 < change.length; k += 2) {
      at += change[k];
      var text = Array.from(change[k + 1]);
      for (var j = 0; j < text.length; j++) { chars[at + j] = text[j]; }
      at += text.length;
    }
    return chars.join("");
  }

  /* ------------------------------------------------------------------ snippets */

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#x27;" }[c];
    });
  }

  /* search/query.py snippet_html, on the body as the reader's script shows it. */
  Index.prototype.snippet = function (body, literals) {
    var self = this, norm = this.normaliser.withOffsets(body);
    var text = norm.text, spans = [];
    literals.forEach(function (literal, k) {
      var needle = self.normaliser.units(literal).join("");
      if (!needle) { return; }
      var found = 0, i = text.indexOf(needle);
      while (i >= 0 && found < 64) {
        var span = norm.span(i, needle.length);
        spans.push([span[0], span[1], k]);
        found++;
        i = text.indexOf(needle, i + 1);
      }
    });
    spans.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]; });
    var begin = 0;
    if (spans.length) {
      var best = spans[0][0], bestScore = -1;
      spans.forEach(function (span) {
        var kinds = new Set();
        spans.forEach(function (o) {
          if (span[0] <= o[0] && o[0] < span[0] + SNIPPET_CHARS - 30) { kinds.add(o[2]); }
        });
        if (kinds.size > bestScore) { best = span[0]; bestScore = kinds.size; }
      });
      begin = Math.max(0, best - 20);
      var newline = body.lastIndexOf("\n", best - 1);
      if (newline >= begin) { begin = newline + 1; }
    }
    var end = Math.min(body.length, begin + SNIPPET_CHARS);
    var plain = body.slice(begin, end), marks = [];
    spans.forEach(function (span) {
      var s = Math.max(span[0], begin) - begin, e = Math.min(span[1], end) - begin;
      if (s >= e) { return; }
      if (marks.length && s <= marks[marks.length - 1][1]) {
        marks[marks.length - 1][1] = Math.max(marks[marks.length - 1][1], e);
      } else { marks.push([s, e]); }
    });
    var pieces = [], cursor = 0;
    marks.forEach(function (m) {
      pieces.push(escapeHtml(plain.slice(cursor, m[0]).replace(/\n/g, " ")));
      pieces.push("<mark>" + escapeHtml(plain.slice(m[0], m[1]).replace(/\n/g, " ")) + "</mark>");
      cursor = m[1];
    });
    pieces.push(escapeHtml(plain.slice(cursor).replace(/\n/g, " ")));
    var html = pieces.join("").trim();
    return (begin > 0 ? ELLIPSIS : "") + html + (end < body.length ? ELLIPSIS : "");
  };

  /* ------------------------------------------------------------------ answers */

  function literalsOf(query) {
    var out = [];
    query.must.forEach(function (c) {
      (c.any || [c]).forEach(function (x) { if (x.literal !== undefined) { out.push(x.literal); } });
    });
    return out;
  }

  Index.prototype.facetNames = function (name, counts) {
    var self = this, items = [];
    counts.forEach(function (count, number) { items.push([number, count]); });
    items.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    var out = {};
    items.forEach(function (item) {
      out[self.names[name][item[0]].shown[self.variant]] = item[1];
    });
    return out;
  };

  /* The API's answer (search/query.py answer) for a request {q, county, theme, page,
   * per_page}, or a rejected promise with a BadRequest. */
  Index.prototype.answer = function (request) {
    var self = this;
    var q = pyStrip(clean(request.q || "", this.normaliser.spaces, this.normaliser.lineBreaks));
    if (Array.from(request.q || "").length > MAX_QUERY_CHARS) {
      return Promise.reject(new BadRequest("搜索词不能超过 " + MAX_QUERY_CHARS + " 个字"));
    }
    if (!q) { return Promise.reject(new BadRequest("请输入搜索词")); }
    var perPage = request.per_page || 10, page = request.page || 1;
    if (page < 1 || page * perPage > MAX_WINDOW) {
      return Promise.reject(new BadRequest("只提供前 " + MAX_WINDOW + " 条结果"));
    }
    var query;
    try { query = parse(q, this.normaliser.spaces, this.normaliser.lineBreaks); }
    catch (e) { return Promise.reject(e); }
    ["county", "theme"].forEach(function (name) {
      var value = pyStrip(clean(request[name] || "", self.normaliser.spaces, self.normaliser.lineBreaks))
        .slice(0, MAX_QUERY_CHARS);
      if (value) { query.must.push({ filter: name, value: value }); }
    });
    var literals = literalsOf(query);
    return this.run(query, (page - 1) * perPage, perPage).then(function (outcome) {
      return Promise.all(outcome.hits.map(function (d) { return self.fragment(d); }))
        .then(function (fragments) {
          return {
            query: q,
            variant: self.variant,
            total: outcome.total,
            page: page,
            per_page: perPage,
            results: fragments.map(function (frag) {
              return {
                slug: frag.slug,
                url: "../articles/" + frag.slug + "/",
                title: frag.title,
                county: frag.county,
                theme: frag.theme,
                date: frag.date,
                snippet: self.snippet(frag.body, literals),
              };
            }),
            facets: {
              county: self.facetNames("county", outcome.facets.county),
              theme: self.facetNames("theme", outcome.facets.theme),
            },
          };
        });
    });
  };

  /* ------------------------------------------------------------------ public */

  function open(entryUrl, variant) {
    var files = new Files(entryUrl);
    return files.entry().then(function (entry) {
      if (entry.format !== 2 || entry.variants.indexOf(variant) < 0) { throw new Error("no static index"); }
      return new Index(files, entry, variant).load();
    });
  }

  window.BulletinStaticSearch = { open: open, BadRequest: BadRequest, parse: parse, Normaliser: Normaliser };
}());
