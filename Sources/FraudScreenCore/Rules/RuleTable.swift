/// What the screener needs to know about every rule on its hot path — which keywords a rule needs, which
/// fields it reads, which meta rules depend on it — flattened into plain integers.
///
/// Most candidate rules of a text fail on "was this keyword seen at all". Deciding that from packed
/// integers touches no rule object: reading a `CompiledRule` and its arrays per candidate cost a retain and
/// a release each, about a fifth of all screening time. Only the candidates that pass this first test are
/// evaluated in full from their `CompiledRule`.
final class RuleTable: @unchecked Sendable {
    struct Flags: OptionSet {
        let rawValue: UInt32
        static let isMeta = Flags(rawValue: 1 << 2)
        static let hasFieldConditions = Flags(rawValue: 1 << 3)
        static let hasDocumentConditions = Flags(rawValue: 1 << 4)
        /// Decided only after every field: meta rules and rules about the transaction alone.
        static let decidedAfterFields = Flags(rawValue: 1 << 5)
        // The rule's shape, so that evaluating a keyword-only rule never reads its `CompiledRule` (a few
        // scattered cache lines per rule, most of them cold: the evaluated rules differ from text to text).
        static let hasRegexes = Flags(rawValue: 1 << 6)
        /// Entity conditions or lists matched against entities.
        static let hasEntityConditions = Flags(rawValue: 1 << 7)
        /// `whole_word: true`: ICU word boundaries.
        static let wholeWord = Flags(rawValue: 1 << 8)
        static let evasiveOnly = Flags(rawValue: 1 << 9)
        /// `whole_word: ascii`: not glued to ASCII letters or digits.
        static let asciiWord = Flags(rawValue: 1 << 10)
        /// The rule's `checks` go on past their fixed head: more `all` sets, ASCII needs or regex gates.
        static let hasCheckTail = Flags(rawValue: 1 << 11)
        /// `turns: {last: N}`: keyword occurrences count only in the field's closing turns.
        static let closingTurnsOnly = Flags(rawValue: 1 << 12)
    }

    /// For each rule, its keyword conditions as one run of integers (the `all` window, -1 for none; `any` count
    /// and ids, `all` element count then per element its count and ids): what full evaluation walks. (`unless`
    /// is decided by its keyword set's stamp in `checks` alone.)
    let keywordLists: PackedLists<Int32>
    /// For each keyword, what its first occurrence in a field sets off, as one run of integers: a count, then
    /// that many stamp slots — per keyword set that contains it, the set's slot; per rule that cannot fire
    /// without it (its anchors), the rule's slot (`ruleStampBase` + index). Stamp slots number the sets, then
    /// the rules: one kind of entry, handled without a branch (the screener stamps every slot, looks up the
    /// slot's `slotChecks` and makes a candidate of each rule stamped for the first time). Runs of fewer than
    /// `fixedLinks` slots are padded to it with `paddingSlot`: three keywords in four have no more, and the
    /// screener handles that many in straight-line code, with no loop whose exit depends on the keyword.
    /// (Runs of (slot, checks) pairs took 383 KB for the shipped rules at 721 rules, read at a random place for
    /// every keyword a text holds; one word per slot, with the checks in `slotChecks`, 12 KB that stay in the
    /// cache, takes 225 KB: cachegrind's misses beyond a 512 KB / 1 MB cache fell from 56.3 / 18.2 to 51.3 /
    /// 15.7 per message, for 1 % more instructions.)
    ///
    /// Keyword sets are every distinct keyword list any rule tests for "some keyword of it was seen" (`unless`,
    /// `any`, each `all` element, each literal set a regex needs, each keyword list an entity needs). When a
    /// field first sees a keyword the screener stamps its sets; a candidate then tests one stamp per condition
    /// instead of one per keyword (candidates read about twenty keyword stamps each otherwise). Sets and anchors
    /// share one run because they are read together, for every keyword a text contains: one cache line. Runs
    /// are found through `patternLinks` (which the automaton reports with each match), and candidates carry
    /// where their checks start: on this path every look-up of where a list starts was a cache miss of its own,
    /// before the one for the list.
    let keywordLinks: PackedLists<Int32>
    /// Stamp slots (see `keywordLinks`): two that stand for "no such set" in `checks`, then the keyword sets up to
    /// `ruleStampBase`, then rule `r` at `ruleStampBase + r`.
    let ruleStampBase: Int32
    let stampSlotCount: Int
    /// A slot never stamped: an `unless` set that cannot be seen.
    static let neverStampedSlot: Int32 = 0
    /// A slot the screener stamps at the start of every field: a needed set that is always seen.
    static let alwaysStampedSlot: Int32 = 1
    /// A slot stamped by padding and read by nothing.
    static let paddingSlot: Int32 = 2
    /// Slots every `keywordLinks` run has, padded where the keyword has fewer.
    static let fixedLinks = 4
    /// Per stamp slot, where its rule's `checks` start, or -1 for a set's slot (and the three special ones).
    let slotChecks: UnsafeMutableBufferPointer<Int32>
    /// For each automaton pattern, needed for every occurrence: its keyword (and whether it is a word variant),
    /// and where the keyword's run in `keywordLinks` starts. The rule set's automaton reports them as its
    /// matches' values (`PatternLink.value`), so the screener reads them with the match.
    let patternLinks: [PatternLink]

    struct PatternLink {
        let keyword: PatternKeyword
        let links: Int32

        init(keyword: PatternKeyword, links: Int32) {
            self.keyword = keyword
            self.links = links
        }

        /// Both in one word, as the automaton reports them.
        var value: UInt64 { UInt64(keyword.bits) | UInt64(UInt32(bitPattern: links)) << 32 }

        init(value: UInt64) {
            keyword = PatternKeyword(bits: UInt32(truncatingIfNeeded: value))
            links = Int32(bitPattern: UInt32(truncatingIfNeeded: value >> 32))
        }
    }
    /// For each rule, its first test as one run of integers, so that testing a candidate reads one cache line:
    /// the fields it applies to (a 64-bit mask of `fieldBit(_:)` bits, two words), its flags, where the rule's
    /// `keywordLists` run starts (evaluation reads it from here, not from a look-up of its own), then the head:
    /// the `unless` set's slot (`neverStampedSlot` for none), the `any` set's (`alwaysStampedSlot` for none) and
    /// the first two sets that must all be seen (each `all` element's, then each keyword list the rule's
    /// entities need; `alwaysStampedSlot` where there are fewer). The head has one shape for every rule, so
    /// that the screener tests it without a branch per condition: most candidates fail there, and which
    /// condition fails differs from one to the next. The tail (flag `hasCheckTail`) follows: the count of the
    /// other sets that must be seen and those sets, the count (0–2) of ASCII sets the text must meet one
    /// character of and those sets (four words each: its entity, list or regex conditions need them), then the
    /// regex count and per regex its alternative count (0: runs ungated), per alternative its set count and
    /// sets — some alternative of some regex must have all its sets seen. `Checks` reads it.
    let checks: PackedLists<Int32>
    /// For each rule, the meta rules that name it.
    let metaDependents: PackedLists<Int32>
    /// For each meta rule, its combination as one run of integers: `all`, `any`, `of` and `none`, each as a
    /// count and rule indices, then `at_least` (empty for other rules). See `metaConditions(_:)`.
    let metaLists: PackedLists<Int32>
    /// For each meta rule, its position in dependency order (rules it names come first).
    let metaRanks: UnsafeMutableBufferPointer<Int32>
    let flags: UnsafeMutableBufferPointer<Flags>
    let scores: UnsafeMutableBufferPointer<Int32>
    /// For each rule, its `ceiling`, or -1 when it has none.
    let ceilings: UnsafeMutableBufferPointer<Int32>
    /// Whether any rule has a ceiling (most sets: none, and the verdict skips the pass).
    let hasCeilings: Bool
    /// For each rule, its category index, or -1 for a `"*"` adjustment.
    let categories: UnsafeMutableBufferPointer<Int32>
    /// For each rule, the position of its id in sorted order (hits with equal scores are listed by id).
    let idRanks: UnsafeMutableBufferPointer<Int32>
    /// Per category, its thresholds (the rule set's where it has none of its own) and the position of its id
    /// in sorted order (equal scores list by id): the verdict reads these, not the categories' strings.
    let categoryThresholds: UnsafeMutableBufferPointer<Thresholds>
    let categoryIDRanks: UnsafeMutableBufferPointer<Int32>
    private let fieldBits: [String: Int]

    init(rules: [CompiledRule], categoryList: [Category], defaultThresholds: Thresholds, keywordCount: Int,
         patternKeywords: [PatternKeyword], keywordAnchors: [[Int32]], metaDependents: [[Int32]], metaOrder: [Int32]) {
        /// A list as its count followed by its items: how every run here stores a list.
        func counted(_ list: [Int32]) -> [Int32] { [Int32(list.count)] + list }
        /// A 64-bit value as two words, low first (see `Checks`).
        func words(_ value: UInt64) -> [Int32] { [Int32(truncatingIfNeeded: value), Int32(truncatingIfNeeded: value >> 32)] }
        let keywordLists = PackedLists(rules.map { rule in
            [Int32(clamping: rule.window ?? -1)] + counted(rule.anyKeywords) + [Int32(rule.allGroups.count)] + rule.allGroups.flatMap(counted)
        })
        var setIDs: [[Int32]: Int32] = [:]
        var setsOfKeyword = [[Int32]](repeating: [], count: keywordCount)
        func set(_ list: [Int32]) -> Int32 {
            let key = Array(Set(list)).sorted()
            if let id = setIDs[key] { return id }
            let id = RuleTable.paddingSlot + 1 + Int32(setIDs.count)
            setIDs[key] = id
            for keyword in key { setsOfKeyword[Int(keyword)].append(id) }
            return id
        }
        self.keywordLists = keywordLists
        // Every named field gets a bit of its own while they last, the rest share the overflow bit.
        var bits: [String: Int] = [:]
        var named = 0
        for rule in rules {
            for field in (rule.fields ?? []).sorted() where bits[field] == nil {
                bits[field] = named < RuleTable.unnamedBitIndex ? named : RuleTable.overflowBitIndex
                named += 1
            }
        }
        fieldBits = bits
        let checks = PackedLists(rules.enumerated().map { i, rule in
            // A rule restricted to named fields never has the unnamed bit; only one of all fields has every bit.
            let fieldMask = rule.fields.map { $0.reduce(0 as UInt64) { $0 | 1 << UInt64(bits[$1]!) } } ?? ~0
            let allSets = (rule.allGroups + rule.entityGates).map(set)
            let headSets = allSets.prefix(2) + Array(repeating: RuleTable.alwaysStampedSlot, count: max(0, 2 - allSets.count))
            let needs = RuleTable.asciiNeeds(of: rule)
            var flags = RuleTable.flags(of: rule)
            if allSets.count > 2 || !needs.isEmpty || !rule.regexGates.isEmpty { flags.insert(.hasCheckTail) }
            var code: [Int32] = words(fieldMask) + [Int32(bitPattern: flags.rawValue), keywordLists.start(of: i),
                                 rule.unlessKeywords.isEmpty ? RuleTable.neverStampedSlot : set(rule.unlessKeywords),
                                 rule.anyKeywords.isEmpty ? RuleTable.alwaysStampedSlot : set(rule.anyKeywords)]
                + headSets + [Int32(max(0, allSets.count - 2))] + allSets.dropFirst(2)
            code.append(Int32(needs.count))
            for need in needs { code += words(need.low) + words(need.high) }
            code += [Int32(rule.regexGates.count)] + rule.regexGates.flatMap { alternatives in
                [Int32(alternatives.count)] + alternatives.flatMap { sets in [Int32(sets.count)] + sets.map(set) }
            }
            return code
        })
        self.checks = checks
        let ruleStampBase = RuleTable.paddingSlot + 1 + Int32(setIDs.count)
        let runs = (0..<keywordCount).map { k -> [Int32] in
            let slots = setsOfKeyword[k].count + keywordAnchors[k].count
            var run: [Int32] = [Int32(slots)] + setsOfKeyword[k] + keywordAnchors[k].map { ruleStampBase + $0 }
            run += Array(repeating: RuleTable.paddingSlot, count: max(0, RuleTable.fixedLinks - slots))
            return run
        }
        slotChecks = .allocate(capacity: Int(ruleStampBase) + rules.count)
        slotChecks.initialize(repeating: -1)
        for r in rules.indices { slotChecks[Int(ruleStampBase) + r] = checks.start(of: r) }
        let keywordLinks = PackedLists(runs)
        self.keywordLinks = keywordLinks
        patternLinks = patternKeywords.map { PatternLink(keyword: $0, links: keywordLinks.start(of: $0.keyword)) }
        self.ruleStampBase = ruleStampBase
        stampSlotCount = Int(ruleStampBase) + rules.count
        self.metaDependents = PackedLists(metaDependents)
        metaLists = PackedLists(rules.map { rule in
            guard let meta = rule.meta else { return [] }
            return counted(meta.all) + counted(meta.any) + counted(meta.of) + counted(meta.none) + [Int32(meta.atLeast)]
        })
        metaRanks = .allocate(capacity: max(1, rules.count))
        metaRanks.initialize(repeating: -1)
        for (rank, index) in metaOrder.enumerated() { metaRanks[Int(index)] = Int32(rank) }

        flags = .allocate(capacity: max(1, rules.count))
        scores = .allocate(capacity: max(1, rules.count))
        ceilings = .allocate(capacity: max(1, rules.count))
        hasCeilings = rules.contains { $0.definition.ceiling != nil }
        categories = .allocate(capacity: max(1, rules.count))
        idRanks = .allocate(capacity: max(1, rules.count))
        for (rank, r) in rules.indices.sorted(by: { rules[$0].id < rules[$1].id }).enumerated() { idRanks[r] = Int32(rank) }
        categoryThresholds = .allocate(capacity: max(1, categoryList.count))
        categoryIDRanks = .allocate(capacity: max(1, categoryList.count))
        for (rank, c) in categoryList.indices.sorted(by: { categoryList[$0].id < categoryList[$1].id }).enumerated() {
            categoryThresholds[c] = categoryList[c].thresholds ?? defaultThresholds
            categoryIDRanks[c] = Int32(rank)
        }
        for (i, rule) in rules.enumerated() {
            flags[i] = RuleTable.flags(of: rule)
            scores[i] = Int32(rule.score)
            ceilings[i] = Int32(rule.definition.ceiling ?? -1)
            categories[i] = Int32(rule.categoryIndex ?? -1)
        }
    }

    private static func flags(of rule: CompiledRule) -> Flags {
        var f: Flags = []
        if rule.meta != nil { f.insert(.isMeta) }
        if rule.hasFieldConditions { f.insert(.hasFieldConditions) }
        if rule.hasDocumentConditions { f.insert(.hasDocumentConditions) }
        if rule.meta != nil || (rule.hasDocumentConditions && !rule.hasFieldConditions) { f.insert(.decidedAfterFields) }
        if !rule.regexes.isEmpty { f.insert(.hasRegexes) }
        if !rule.entities.isEmpty || !rule.lists.isEmpty { f.insert(.hasEntityConditions) }
        switch rule.wholeWord {
        case .anywhere: break
        case .dictionary: f.insert(.wholeWord)
        case .ascii: f.insert(.asciiWord)
        }
        if rule.evasiveOnly { f.insert(.evasiveOnly) }
        if rule.definition.closingTurns != nil { f.insert(.closingTurnsOnly) }
        return f
    }

    /// Up to two sets of ASCII characters of which the rule's entity, list or regex conditions need one
    /// character each: a text without them cannot satisfy the rule. They all have to hold, so any of their
    /// needs will do: the two narrowest. (With several regexes any one may match, so their needs are not
    /// combined here.)
    private static func asciiNeeds(of rule: CompiledRule) -> [ASCIISet] {
        var needs = (rule.entities.map(\.kind) + rule.lists.map(\.entity)).compactMap(EntityExtractor.prerequisite(of:))
        if rule.regexes.count == 1 { needs += rule.regexes[0].asciiRequirements }
        needs.sort { $0.count < $1.count }
        return Array(needs.filter { !$0.isEmpty }.prefix(2))
    }

    deinit {
        for lists in [keywordLinks, keywordLists, checks, metaDependents, metaLists] { lists.free() }
        flags.deallocate(); scores.deallocate(); ceilings.deallocate(); categories.deallocate(); idRanks.deallocate()
        metaRanks.deallocate(); categoryThresholds.deallocate(); categoryIDRanks.deallocate(); slotChecks.deallocate()
    }

    /// The `any` list, `all` elements and window of the rule whose `keywordLists` run starts at `start`
    /// (`Checks.keywordLists`), read in place (no array retained).
    @inline(__always)
    func keywordConditions(at start: Int32) -> KeywordConditions {
        var p = keywordLists.values(from: start)
        let window = p[0] < 0 ? Int.max : Int(p[0])
        p += 1
        let any = UnsafeBufferPointer(start: p + 1, count: Int(p[0]))
        p += 1 + Int(p[0])
        return KeywordConditions(window: window, any: any, groupCount: Int(p[0]), groups: p + 1)
    }

    struct KeywordConditions {
        /// The most scalars the chosen `all` occurrences may span (`Int.max`: no window).
        let window: Int
        let any: UnsafeBufferPointer<Int32>
        let groupCount: Int
        /// The `all` elements, each as a count followed by keyword ids.
        let groups: UnsafePointer<Int32>

        /// Calls `body` with each `all` element in order.
        @inline(__always)
        func forEachGroup(_ body: (UnsafeBufferPointer<Int32>) -> Void) {
            var p = groups
            for _ in 0..<groupCount {
                body(UnsafeBufferPointer(start: p + 1, count: Int(p[0])))
                p += 1 + Int(p[0])
            }
        }
    }

    /// A rule's run of `checks`, read in order. 64-bit values are stored as two words, low first, and read
    /// back with one unaligned load (the little-endian order of every platform this builds for).
    struct Checks {
        let start: UnsafePointer<Int32>

        var fieldMask: UInt64 { UnsafeRawPointer(start).loadUnaligned(as: UInt64.self) }
        var flags: Flags { Flags(rawValue: UInt32(bitPattern: start[2])) }
        var keywordLists: Int32 { start[3] }
        /// The head's slots: `unless`, `any`, and the first two sets that must be seen.
        var unlessSlot: Int32 { start[4] }
        var anySlot: Int32 { start[5] }
        var allSlots: (Int32, Int32) { (start[6], start[7]) }
        /// The tail (`Flags.hasCheckTail`): the other sets that must be seen.
        var moreAllSets: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: start + 9, count: Int(start[8])) }
        /// The ASCII sets, then the regex gates.
        private var needsStart: UnsafePointer<Int32> { start + 9 + Int(start[8]) }

        /// Whether the text's ASCII characters meet every ASCII set (one character of each).
        @inline(__always)
        func asciiNeedsMet(_ present: (UInt64, UInt64)) -> Bool {
            let p = needsStart
            for k in 0..<Int(p[0]) {
                let words = UnsafeRawPointer(p + 1 + 4 * k)
                let low = words.loadUnaligned(as: UInt64.self), high = words.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                if low & present.0 == 0 && high & present.1 == 0 { return false }
            }
            return true
        }

        /// The regex count, then per regex its gate (see `checks`).
        var regexGates: UnsafePointer<Int32> { needsStart + 1 + 4 * Int(needsStart[0]) }
    }

    /// The rules anchored on keyword `keyword` (read from its `keywordLinks` run).
    func anchoredRules(of keyword: Int) -> [Int32] {
        let run = keywordLinks[keyword]
        return run.dropFirst().filter { slotChecks[Int($0)] >= 0 }.map { $0 - ruleStampBase }
    }

    /// The checks starting at `start` (`checks.start(of:)`; a candidate found through `keywordLinks` carries it).
    @inline(__always)
    func checks(at start: Int32) -> Checks { Checks(start: checks.values(from: start)) }

    /// Meta rule `r`'s combination, read from its packed list (no rule object or array retained).
    @inline(__always)
    func metaConditions(_ r: Int) -> MetaConditions {
        var p = metaLists[r].baseAddress!
        func list() -> UnsafeBufferPointer<Int32> {
            defer { p += 1 + Int(p[0]) }
            return UnsafeBufferPointer(start: p + 1, count: Int(p[0]))
        }
        let all = list(), any = list(), of = list(), none = list()
        return MetaConditions(all: all, any: any, of: of, none: none, atLeast: Int(p[0]))
    }

    struct MetaConditions {
        let all: UnsafeBufferPointer<Int32>
        let any: UnsafeBufferPointer<Int32>
        let of: UnsafeBufferPointer<Int32>
        let none: UnsafeBufferPointer<Int32>
        let atLeast: Int

        /// The rules named by `all`, `any` and `of`, in that order: whose evidence a firing meta rule takes over.
        @inline(__always)
        func forEachNamed(_ body: (Int32) -> Void) {
            for r in all { body(r) }
            for r in any { body(r) }
            for r in of { body(r) }
        }
    }

    /// The bit standing for a document field in a rule's field mask (`Checks.fieldMask`).
    func fieldBit(_ name: String) -> UInt64 { 1 << UInt64(fieldBits[name] ?? RuleTable.unnamedBitIndex) }

    /// The bit of every field name no rule names (a message's `text`, usually): only rules for all fields
    /// have it, so the mask decides alone. (When such names shared the overflow bit, every candidate on a
    /// message read its rule's field list: a cache miss per candidate, 8 % of screening.)
    static let unnamedBitIndex = 62
    /// The bit shared by named fields past the 62nd: for those, the mask only says "maybe" and the rule's own
    /// field list decides.
    static let overflowBitIndex = 63
    static let overflowFieldBit: UInt64 = 1 << UInt64(overflowBitIndex)
}
