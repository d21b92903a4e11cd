/// The rules that fired for one verdict, their evidence and the category scores, in one allocation of plain
/// integers and bytes. A verdict carries this instead of arrays of hits, evidence and strings: building and
/// destroying those cost about a tenth of screening a message (an array per hit, a string per piece of
/// evidence, a retain and release of every rule id and description). Answers are encoded straight from it
/// with the rule set's pre-encoded texts; `Verdict.hits` builds the public values only when asked.
///
/// Layout of the bytes, in 32-bit words: per hit `rule, score, category, evidenceEnd`; per piece of evidence
/// `field, start, end, textStart, textEnd, source | evasive << 8`; per scoring category `category, score`;
/// then the matched texts' UTF-8 bytes, end to end. The memory is bound to bytes (the texts are read as
/// bytes) and the words are read and written through raw pointers. Immutable once made.
final class FiredRules: ManagedBuffer<FiredRules.Header, UInt8> {
    struct Header {
        var hitCount: Int
        var evidenceCount: Int
        var categoryScoreCount: Int
        var textByteCount: Int
        /// The highest-scoring category, or -1 when no category scored above zero.
        var category: Int
        /// Field names evidence refers to by index.
        var fieldNames: [String]
        /// Per field name, its evidence's opening `{"field":"…"`, encoded once.
        var fieldOpenings: EncodedTexts
        var ruleText: EncodedRuleText
    }

    static let hitWords = 4, evidenceWords = 6, categoryScoreWords = 2

    /// One hit as the screener writes it.
    struct Hit {
        var rule: Int32
        var score: Int32
        var category: Int32
        /// One past this hit's last piece of evidence (evidence is stored hit after hit).
        var evidenceEnd: Int32
    }

    /// One piece of evidence: a span of field `field` of the original document, and its text as bytes
    /// `textStart..<textEnd` of the record's text area.
    struct Evidence {
        var field: Int32
        var start: Int32
        var end: Int32
        var textStart: Int32
        var textEnd: Int32
        var source: Verdict.Evidence.Source
        var evasive: Bool
    }

    /// Makes an empty record with room for the given counts; `write` fills it in.
    static func make(hits: Int, evidence: Int, categoryScores: Int, textBytes: Int, category: Int,
                     fieldNames: [String], fieldOpenings: EncodedTexts, ruleText: EncodedRuleText,
                     write: (inout Writer) -> Void) -> FiredRules {
        let words = hits * hitWords + evidence * evidenceWords + categoryScores * categoryScoreWords
        let buffer = create(minimumCapacity: words * 4 + textBytes) { _ in
            Header(hitCount: hits, evidenceCount: evidence, categoryScoreCount: categoryScores, textByteCount: textBytes,
                   category: category, fieldNames: fieldNames, fieldOpenings: fieldOpenings, ruleText: ruleText)
        }
        let record = unsafeDowncast(buffer, to: FiredRules.self)
        record.withUnsafeMutablePointerToElements { base in
            var writer = Writer(layout: Layout(hits: hits, evidence: evidence, categoryScores: categoryScores), base: Words(base))
            write(&writer)
            precondition(writer.hits == hits && writer.evidence == evidence && writer.categoryScores == categoryScores
                         && writer.textBytes == textBytes, "FiredRules written with other counts than it was made for")
        }
        return record
    }

    /// Fills a record in order: each hit after its evidence, then the category scores.
    struct Writer {
        fileprivate let layout: Layout
        fileprivate let base: Words
        private(set) var hits = 0, evidence = 0, categoryScores = 0, textBytes = 0

        fileprivate init(layout: Layout, base: Words) {
            self.layout = layout
            self.base = base
        }

        /// Appends a piece of evidence with its matched text.
        mutating func append(field: Int32, start: Int32, end: Int32, source: Verdict.Evidence.Source, evasive: Bool,
                             text: UnsafeBufferPointer<UInt8>) {
            let p = base + (layout.evidence + evidence * FiredRules.evidenceWords)
            if let from = text.baseAddress, !text.isEmpty { (base.bytes(at: layout.text) + textBytes).update(from: from, count: text.count) }
            p[0] = UInt32(bitPattern: field); p[1] = UInt32(bitPattern: start); p[2] = UInt32(bitPattern: end)
            p[3] = UInt32(textBytes); p[4] = UInt32(textBytes + text.count)
            p[5] = UInt32(source.rank) | (evasive ? 1 << 8 : 0)
            textBytes += text.count
            evidence += 1
        }

        /// Appends a hit owning the evidence appended since the previous hit.
        mutating func appendHit(rule: Int32, score: Int32, category: Int32) {
            let p = base + (layout.hits + hits * FiredRules.hitWords)
            p[0] = UInt32(bitPattern: rule); p[1] = UInt32(bitPattern: score); p[2] = UInt32(bitPattern: category)
            p[3] = UInt32(evidence)
            hits += 1
        }

        mutating func appendCategoryScore(category: Int32, score: Int32) {
            let p = base + (layout.categoryScores + categoryScores * FiredRules.categoryScoreWords)
            p[0] = UInt32(bitPattern: category); p[1] = UInt32(bitPattern: score)
            categoryScores += 1
        }
    }

    /// 32-bit words at a byte address, read and written without binding the memory to `UInt32`.
    fileprivate struct Words {
        let raw: UnsafeMutableRawPointer
        init(_ base: UnsafeMutablePointer<UInt8>) { raw = UnsafeMutableRawPointer(base) }
        private init(raw: UnsafeMutableRawPointer) { self.raw = raw }

        subscript(i: Int) -> UInt32 {
            get { raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self) }
            nonmutating set { raw.storeBytes(of: newValue, toByteOffset: i * 4, as: UInt32.self) }
        }

        static func + (base: Words, words: Int) -> Words { Words(raw: base.raw + words * 4) }

        /// The bytes starting `words` words in (the text area).
        func bytes(at words: Int) -> UnsafeMutablePointer<UInt8> {
            (raw + words * 4).assumingMemoryBound(to: UInt8.self)
        }
    }

    /// Where each area starts, in words.
    fileprivate struct Layout {
        let hits = 0, evidence: Int, categoryScores: Int, text: Int
        init(hits: Int, evidence: Int, categoryScores: Int) {
            self.evidence = hits * FiredRules.hitWords
            self.categoryScores = self.evidence + evidence * FiredRules.evidenceWords
            text = self.categoryScores + categoryScores * FiredRules.categoryScoreWords
        }

        // The counts read through a pointer: copying the header out would retain and release its references.
        init(_ header: UnsafeMutablePointer<Header>) {
            self.init(hits: header.pointee.hitCount, evidence: header.pointee.evidenceCount,
                      categoryScores: header.pointee.categoryScoreCount)
        }
    }

    var categoryIndex: Int { header.category }
    var ruleText: EncodedRuleText { header.ruleText }

    /// Decodes hits and evidence from the record's words: the one place that knows their layout for reading.
    fileprivate struct Reader {
        let base: Words
        let layout: Layout

        func hit(_ i: Int) -> Hit {
            let p = base + (layout.hits + i * FiredRules.hitWords)
            return Hit(rule: Int32(bitPattern: p[0]), score: Int32(bitPattern: p[1]), category: Int32(bitPattern: p[2]),
                       evidenceEnd: Int32(bitPattern: p[3]))
        }

        /// Evidence `i` and its matched text's bytes (valid while the record is).
        func evidence(_ i: Int) -> (Evidence, UnsafeBufferPointer<UInt8>) {
            let p = base + (layout.evidence + i * FiredRules.evidenceWords)
            let e = Evidence(field: Int32(bitPattern: p[0]), start: Int32(bitPattern: p[1]), end: Int32(bitPattern: p[2]),
                             textStart: Int32(bitPattern: p[3]), textEnd: Int32(bitPattern: p[4]),
                             source: Verdict.Evidence.Source(rank: Int(p[5] & 0xFF)), evasive: p[5] >> 8 != 0)
            return (e, UnsafeBufferPointer(start: base.bytes(at: layout.text) + Int(e.textStart), count: Int(e.textEnd - e.textStart)))
        }
    }

    private func withReader<R>(_ body: (Reader) -> R) -> R {
        withUnsafeMutablePointers { header, elements in body(Reader(base: Words(elements), layout: Layout(header))) }
    }

    /// Every category that scored above zero (category index, score), highest first.
    func forEachCategoryScore(_ body: (Int, Int) -> Void) {
        withUnsafeMutablePointers { header, elements in
            let p = Words(elements) + Layout(header).categoryScores
            for i in 0..<header.pointee.categoryScoreCount {
                body(Int(Int32(bitPattern: p[2 * i])), Int(Int32(bitPattern: p[2 * i + 1])))
            }
        }
    }

    /// The hits as public values (for callers that read or edit them; answers are written from the record).
    var ruleHits: [Verdict.RuleHit] {
        let text = header.ruleText, fieldNames = header.fieldNames
        return withReader { reader in
            var from = 0
            return (0..<header.hitCount).map { h in
                let hit = reader.hit(h)
                let evidence = (from..<Int(hit.evidenceEnd)).map { i in
                    let (e, bytes) = reader.evidence(i)
                    return Verdict.Evidence(field: fieldNames[Int(e.field)], span: TextSpan(start: Int(e.start), end: Int(e.end)),
                                            text: String(decoding: bytes, as: UTF8.self), source: e.source, evasive: e.evasive)
                }
                from = Int(hit.evidenceEnd)
                let r = Int(hit.rule)
                return Verdict.RuleHit(ruleID: text.ruleIDs[r], category: text.ruleCategories[r], score: Int(hit.score),
                                       description: text.descriptions[r], evidence: evidence, ceiling: text.ceilings[r])
            }
        }
    }
}

extension FiredRules {
    /// Writes every hit as a JSON object into an open array: the rule's pre-encoded members, then its evidence
    /// laid out directly from the record's words (the same six members for millions of pieces of evidence).
    func writeHits(to json: inout JSONWriter) {
        let text = header.ruleText, openings = header.fieldOpenings, hitCount = header.hitCount
        withReader { reader in
            var i = 0
            for h in 0..<hitCount {
                let hit = reader.hit(h)
                json.beginObject()
                json.rawMembers(text.hitMembers(rule: Int(hit.rule)))
                json.key(static: "evidence"); json.beginArray()
                while i < Int(hit.evidenceEnd) {
                    let (e, bytes) = reader.evidence(i)
                    json.evidence(opening: openings[Int(e.field)], start: Int(e.start), end: Int(e.end), text: bytes,
                                  source: e.source, evasive: e.evasive)
                    i += 1
                }
                json.endArray()
                json.endObject()
            }
        }
    }
}
