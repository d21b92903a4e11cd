/// Screens documents against one rule set. Holds the scratch buffers, regex match data and word breaker a
/// screening needs, so steady-state screening allocates little: keep one per thread (it is not thread-safe)
/// and make a new one when the rule set changes.
///
/// A field goes through three steps. The keyword automaton runs over its compact text once, recording each
/// keyword occurrence and collecting as candidates the rules anchored on the keywords seen. Each candidate
/// is then tested against the packed `RuleTable` (needed keywords seen, field applies) — most fail here
/// without touching a rule object. The few left are evaluated in full (occurrence options, windows, regexes,
/// entities, lists), writing their evidence into one flat buffer. Meta rules and the verdict come last.
public final class Screener {
    public let ruleSet: RuleSet
    private let table: RuleTable
    /// `ruleSet.rules`, unretained: `ruleSet` keeps them alive.
    private let rules: UnsafeMutableBufferPointer<Unmanaged<CompiledRule>>
    // Read per message: kept here so that reading them does not retain the rule set's objects, which every
    // screening thread shares (their reference counts were contended). `ruleSet` keeps the tables alive.
    private let foldTable: FoldTable
    private let maxTextScalars: Int
    private let ruleScores: UnsafeMutableBufferPointer<Int32>
    private let ruleCategories: UnsafeMutableBufferPointer<Int32>
    private let idRanks: UnsafeMutableBufferPointer<Int32>
    private let metaRanks: UnsafeMutableBufferPointer<Int32>
    private let regexMatcher: RegexMatcher
    private let wordBoundaries = WordBoundaries()
    private let text = NormalizedText()

    /// What the keyword automaton found in the current field, in order of end position.
    private var matches = Stream<AhoCorasick.Match>()
    /// Keyword occurrences of the current field, chained per keyword (newest first); one per match.
    private var occurrences = Stream<Occurrence>()
    /// The field had more occurrences than `maxOccurrencesPerField`: the later ones were not recorded.
    private var occurrencesCapped = false
    /// Per keyword: the field generation that saw it (stale stamp: not in this field) and its newest occurrence
    /// (read only when the stamp is current; below `maxOccurrencesPerField`). Side by side, because both are read
    /// for every occurrence and every keyword a rule tests.
    private let keywordStates: UnsafeMutableBufferPointer<KeywordState>
    private struct KeywordState {
        var stamp: Generation
        var head: UInt16
    }
    /// Field generations are 16 bits: the stamp arrays are read at random for every occurrence and candidate,
    /// and at half the size more of them stay in the L1 cache from one message to the next. They wrap every
    /// 65,535 fields, when the arrays are cleared.
    private typealias Generation = UInt16
    /// Per stamp slot (`RuleTable.keywordLinks`), the field generation that last stamped it: a keyword set of
    /// `RuleTable.checks` is stamped once one of its keywords is seen, a rule once it is a candidate.
    private let stamps: UnsafeMutableBufferPointer<Generation>
    private var fieldGeneration: Generation = 0
    /// The rules' part of `stamps`.
    private let ruleStamp: UnsafeMutablePointer<Generation>
    private let metaStamp: UnsafeMutableBufferPointer<UInt32>
    private var metaGeneration: UInt32 = 0
    /// Rules to test on the current field, with where their packed checks start.
    private var candidates = Stream<Candidate>()
    private struct Candidate {
        var rule: Int32
        var checks: Int32
    }
    private var deferredMeta = Stream<Candidate>()
    // Scratch of `allGroupsMatch`.
    private var groupOccurrences = Stream<Occurrence>()
    private var groupBounds = Stream<Int32>()
    private var chosen = Stream<Int32>()
    /// Scratch of `firstAnchoredMatch`: where the regex may start, in text order.
    private var regexStartScratch = Stream<Int32>()
    /// Scratch of `verdict`: the fired rules' evidence, sorted per rule, and where each rule's ends; the
    /// score of each category, and the categories that scored.
    private var spanScratch = Stream<RawEvidence>()
    private var hitEvidenceEnds = Stream<Int32>()
    private let categoryScoreScratch: UnsafeMutableBufferPointer<Int>
    private let categoryCeilingScratch: UnsafeMutableBufferPointer<Int>
    private var scoringCategories = Stream<Int32>()
    private var fieldEntities: [Entity] = []

    // Per document: which rules fired, and their evidence chained per rule (newest first).
    private let fired: UnsafeMutableBufferPointer<Bool>
    private let evidenceHead: UnsafeMutableBufferPointer<Int32>
    /// The rules fired for the document, in firing order. In manually managed memory like the other
    /// per-document scratch: emptying an array for every document went through its generic range replacement,
    /// code that is cold by the time the next document comes.
    private var firedRules = Stream<Int32>()
    /// Meta rules whose own field conditions held; `evaluateMeta` decides them.
    private var pendingMeta = Stream<Int32>()
    /// Scratch of `evaluateMeta`: the meta rules to decide, in dependency order.
    private var markedMeta = Stream<Int32>()
    private var evidence = Stream<RawEvidence>()
    /// Field names evidence refers to: the document's fields, then names of transaction fields. Kept from one
    /// document to the next while it starts with the document's names, so verdicts share it instead of
    /// copying it.
    private var evidenceFields: [String] = []
    /// Per name of `evidenceFields`, its bit in the rules' field masks (`RuleTable.fieldBit(_:)`): documents of
    /// one kind name the same fields over and over, and comparing a transaction's field names with the last one
    /// screened and hashing each new one cost a few hundred instructions per transaction.
    private var evidenceFieldBits: [UInt64] = []
    /// Per name of `evidenceFields`, the JSON opening of its evidence (`JSONWriter.evidenceOpening`).
    private var evidenceFieldOpenings = EncodedTexts([])
    /// The matched texts of the evidence, as UTF-8 bytes end to end.
    private var evidenceBytes = Stream<UInt8>()

    /// Transfers to first-time payees per payer, for velocity conditions (per-process state; share one
    /// tracker between the screeners of a process).
    public var velocity: VelocityTracker?
    /// The transaction being screened, set by `screen(_ document:)` for the document conditions; nil for messages.
    private var transaction: ScreenedTransaction?

    /// A transaction while it is screened, by reference: several document rules read it, and each `if let` of
    /// the large struct copied all its strings. Its payee's list keys are normalised once, when first needed.
    private final class ScreenedTransaction {
        let transaction: Transaction
        private(set) lazy var payeeAccountKey: String? = transaction.payee.account.map(FraudList.normalise)
        private(set) lazy var payeeNameKey: String? = transaction.payee.name.map(FraudList.normalise)
        init(_ transaction: Transaction) { self.transaction = transaction }
    }
    private var recentFirstTimeTransfers = 0

    /// Occurrences kept per field; a pathological text beyond this is still scanned but later occurrences of
    /// keywords are not recorded (rules have all they need long before).
    static let maxOccurrencesPerField = 65_536

    /// Whether verdicts list every entity found; when false, entities are extracted only for fields where
    /// a rule needs them (faster: most texts fire no entity rule). Read per screening, so it can be set per
    /// request.
    public var reportsEntities: Bool
    /// The extractor scans already run on the current field.
    private var scansDone: EntityExtractor.Scans = []
    /// Whether the current field may hold a link (`EntityExtractor.mayHoldLink`), once a rule has asked.
    private var fieldMayHoldLink: Bool?
    /// The current field's closing turns, once a `turns` rule has asked: how many (0: not worked out for this
    /// field) and the compact position where they start (-1: the field has no more lines than that).
    private var closingTurnCount = 0
    private var closingTurnFloor = -1
    /// The same place in the folded text, where a `turns` rule's folded regexes start searching.
    private var closingTurnFoldedStart = 0
    /// While a `turns` rule is evaluated, the compact position its keyword occurrences must start at or after
    /// (set by `evaluate` for such a rule, read only under its flag: no reset on the common path).
    private var occurrenceFloor = 0

    private struct Occurrence {
        var start: Int32
        var end: Int32
        var next: Int32
        /// Matched through a word variant (`vx` for 微信); whether it is evasive otherwise is worked out only
        /// for the occurrences a rule looks at.
        var variant: Bool
    }

    /// One piece of evidence without strings: a span of a field and its matched text in `evidenceBytes` (for
    /// transaction conditions, a text of the transaction). The text is cut out once the field is screened.
    private struct RawEvidence {
        var field: Int32
        var start: Int32
        var end: Int32
        /// Bytes `textStart..<textEnd` of `evidenceBytes`; `textStart` is -1 until the field's texts are cut out.
        var textStart: Int32
        var textEnd: Int32 = -1
        var source: Verdict.Evidence.Source
        var evasive: Bool
        var next: Int32 = -1
    }

    /// Whether two pieces of evidence say the same (two rules can point at the same span).
    private func sameContent(_ a: RawEvidence, _ b: RawEvidence) -> Bool {
        a.field == b.field && a.start == b.start && a.end == b.end && a.source == b.source && a.evasive == b.evasive
            && (a.textStart == b.textStart || a.textEnd - a.textStart == b.textEnd - b.textStart
                && evidenceText(a).elementsEqual(evidenceText(b)))
    }

    private func evidenceText(_ e: RawEvidence) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: evidenceBytes.base + Int(e.textStart), count: Int(e.textEnd - e.textStart))
    }

    public init(ruleSet: RuleSet, reportsEntities: Bool = true) {
        self.ruleSet = ruleSet
        self.table = ruleSet.table
        self.reportsEntities = reportsEntities
        regexMatcher = RegexMatcher(matchLimit: ruleSet.settings.regexMatchLimit, depthLimit: ruleSet.settings.regexDepthLimit)
        func buffer<T>(_ count: Int, _ value: T) -> UnsafeMutableBufferPointer<T> {
            let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, count))
            b.initialize(repeating: value)
            return b
        }
        keywordStates = buffer(ruleSet.keywordCount, KeywordState(stamp: 0, head: 0))
        stamps = buffer(table.stampSlotCount, 0)
        ruleStamp = stamps.baseAddress! + Int(table.ruleStampBase)
        metaStamp = buffer(ruleSet.rules.count, 0)
        fired = buffer(ruleSet.rules.count, false)
        evidenceHead = buffer(ruleSet.rules.count, -1)
        categoryScoreScratch = buffer(ruleSet.categories.count, 0)
        categoryCeilingScratch = buffer(ruleSet.categories.count, Int.max)
        foldTable = ruleSet.foldTable
        maxTextScalars = ruleSet.settings.maxTextScalars
        ruleScores = table.scores
        ruleCategories = table.categories
        idRanks = table.idRanks
        metaRanks = table.metaRanks
        rules = .allocate(capacity: max(1, ruleSet.rules.count))
        for (i, rule) in ruleSet.rules.enumerated() { rules[i] = Unmanaged.passUnretained(rule) }
    }

    deinit {
        matches.free(); occurrences.free(); candidates.free(); deferredMeta.free(); evidence.free(); markedMeta.free(); evidenceBytes.free()
        firedRules.free(); pendingMeta.free()
        groupOccurrences.free(); groupBounds.free(); chosen.free(); regexStartScratch.free(); spanScratch.free(); hitEvidenceEnds.free(); scoringCategories.free()
        keywordStates.deallocate(); stamps.deallocate(); metaStamp.deallocate()
        fired.deallocate(); evidenceHead.deallocate(); categoryScoreScratch.deallocate(); categoryCeilingScratch.deallocate(); rules.deallocate()
    }

    /// How many regex matches were abandoned at the PCRE2 work limits.
    public var regexLimitHits: Int { regexMatcher.limitHits }

    /// Screens a message text.
    public func screen(_ message: String) -> Verdict {
        // Straight to the field, the text borrowed: storing it in a one-field array for `screen(fields:)`, and
        // copying that field out again, retained and released its strings a few times per message.
        beginDocument(fieldsNamed: messageFields)
        var entities: [Verdict.FoundEntity] = []
        let truncated = screen(fieldText: message, name: messageFields[0].name, index: 0, isLast: true, entities: &entities)
        return finishDocument(entities: entities, truncated: truncated)
    }

    /// A message's fields, for their names.
    private let messageFields = Document.message("").fields

    /// Screens a document: every field, then meta rules, then scores and the decision.
    public func screen(_ document: Document) -> Verdict {
        guard let transaction = document.transaction else { return screen(fields: document.fields) }
        let screened = ScreenedTransaction(transaction)
        self.transaction = screened
        defer { self.transaction = nil }  // not keeping the caller's transaction alive
        recentFirstTimeTransfers = 0
        if transaction.firstTimePayee == true {
            recentFirstTimeTransfers = 1
            if let velocity, let payer = transaction.payer.account, !payer.isEmpty {
                // The payee's list keys, normalised once for the look-ups too.
                var transfer = Hasher()
                transfer.combine(screened.payeeAccountKey)
                transfer.combine(screened.payeeNameKey)  // payees without an account differ by name
                transfer.combine(transaction.amount.cents)
                transfer.combine(transaction.currency)
                recentFirstTimeTransfers = velocity.recordFirstTimeTransfer(payer: FraudList.normalise(payer), at: transaction.timestamp.epochSeconds,
                                                                            transfer: transfer.finalize())
            }
        }
        return screen(fields: document.fields)
    }

    /// `screen(_:)` for a document given by its fields; a transaction's own parts are set aside first
    /// (`transaction`). Messages never touch the `Transaction` struct (passing, copying and testing it as an
    /// optional cost several calls through its value witnesses) and do not come here at all.
    private func screen(fields: [Document.Field]) -> Verdict {
        beginDocument(fieldsNamed: fields)
        var entities: [Verdict.FoundEntity] = []
        var truncated = false
        for index in fields.indices {
            // The field's strings borrowed from the array, not copied out of it.
            let cut = screen(fieldText: fields[index].text, name: fields[index].name, index: index,
                             isLast: index == fields.count - 1, entities: &entities)
            truncated = truncated || cut
        }
        if transaction != nil {
            for index in ruleSet.documentRules {
                let mark = evidence.count
                guard documentEvidence(ruleSet.rules[Int(index)]) else { evidence.count = mark; continue }
                fire(index, evidenceFrom: mark)
            }
        }
        return finishDocument(entities: entities, truncated: truncated)
    }

    /// Forgets the previous document and takes the field names of this one.
    private func beginDocument(fieldsNamed fields: [Document.Field]) {
        for rule in firedRules.buffer { fired[Int(rule)] = false; evidenceHead[Int(rule)] = -1 }
        firedRules.count = 0
        pendingMeta.count = 0
        evidence.count = 0
        evidenceBytes.count = 0
        // Names of transaction fields that evidence named are kept at the end: the next transaction's evidence
        // names them again, and rebuilding the list (and its encoded openings) for every transaction cost
        // more allocations than the rest of screening it.
        if !evidenceFieldsStart(with: fields) {
            setEvidenceFields(fields.map(\.name))  // a new array: verdicts may hold the old one
        }
    }

    /// Normalises and screens field `index` of the document (`screenField`), then cuts its evidence texts out;
    /// appends its entities when verdicts list them. Returns whether the text was cut at the rule set's
    /// `max_text_scalars`.
    private func screen(fieldText field: String, name: String, index: Int, isLast: Bool,
                        entities: inout [Verdict.FoundEntity]) -> Bool {
        text.reset(field, table: foldTable, maxScalars: maxTextScalars)
        let evidenceBefore = evidence.count
        screenField(index: Int32(index), name: name, isLastField: isLast)
        // Cut the matched texts out now, while this field's buffers are current.
        for i in evidenceBefore..<evidence.count where evidence.base[i].textStart < 0 {
            let e = evidence.base[i]
            appendEvidenceText(text.originalUTF8(of: TextSpan(start: Int(e.start), end: Int(e.end))), to: i)
        }
        if reportsEntities {
            for entity in fieldEntities {
                entities.append(.init(field: name, entity: entity,
                                      span: text.originalSpan(foldedStart: entity.foldedRange.lowerBound, foldedEnd: entity.foldedRange.upperBound)))
            }
        }
        return text.truncated
    }

    /// Meta rules, then scores and the decision.
    private func finishDocument(entities: [Verdict.FoundEntity], truncated: Bool) -> Verdict {
        evaluateMeta()
        return verdict(entities: entities, truncated: truncated, isTransaction: transaction != nil)
    }

    /// Marks `rule` fired and chains the evidence written since `mark` to it.
    private func fire(_ rule: Int32, evidenceFrom mark: Int) {
        let r = Int(rule)
        if !fired[r] {
            fired[r] = true
            if table.flags[r].contains(.isMeta) { pendingMeta.append(rule) } else { firedRules.append(rule) }
        }
        for i in mark..<evidence.count {
            evidence.base[i].next = evidenceHead[r]
            evidenceHead[r] = Int32(i)
        }
    }

    // MARK: Fields

    private func screenField(index fieldIndex: Int32, name fieldName: String, isLastField: Bool) {
        fieldGeneration &+= 1
        if fieldGeneration == 0 {  // wrapped: stale stamps could look current
            keywordStates.update(repeating: KeywordState(stamp: 0, head: 0))
            stamps.update(repeating: 0)
            fieldGeneration = 1
        }
        let generation = fieldGeneration
        stamps[Int(RuleTable.alwaysStampedSlot)] = generation
        candidates.count = 0
        if !fieldEntities.isEmpty { fieldEntities.removeAll(keepingCapacity: true) }
        wordBoundaries.invalidate()
        scansDone = []
        fieldMayHoldLink = nil
        closingTurnCount = 0

        let ruleSet = self.ruleSet, table = self.table, text = self.text
        let keywords = keywordStates, stamps = self.stamps.baseAddress!, ruleStamps = ruleStamp
        let ruleStampBase = table.ruleStampBase
        var occurrences = self.occurrences, matches = self.matches, candidates = self.candidates
        // Two passes: the automaton writes (pattern, span) for every occurrence into `matches` — a loop of its
        // own that keeps its state in registers; when they do not fit it stops, and goes on once there is
        // room — then each occurrence is chained to its keyword, and a keyword's first occurrence stamps its
        // keyword sets and the rules anchored on it, making candidates of the rules not stamped before.
        let automaton = ruleSet.automaton, compact = text.compactEntries, cap = Screener.maxOccurrencesPerField
        matches.count = 0
        matches.reserve(min(compact.count * 2 + 16, cap))
        var cursor = AhoCorasick.Cursor()
        occurrencesCapped = false
        while true {
            let room = min(matches.capacity, cap) - matches.count
            matches.count += automaton.scan(compact, from: &cursor, into: matches.base + matches.count, capacity: room)
            if cursor.position == compact.count { break }
            if matches.capacity >= cap { occurrencesCapped = true; break }
            matches.reserve(min(cap, max(matches.capacity * 2, matches.count + automaton.maxMatchesPerPosition)))
        }
        self.matches = matches
        occurrences.count = 0
        occurrences.reserve(matches.count)
        let keywordLinks = table.keywordLinks.values(from: 0), slotChecks = table.slotChecks.baseAddress!
        let found = occurrences.base, matched = matches.base
        for index in 0..<matches.count {
            let match = matched[index]
            let pattern = RuleTable.PatternLink(value: match.value)
            let keyword = pattern.keyword.keyword
            let state = keywords[keyword]
            let seen = state.stamp == generation
            found[index] = Occurrence(start: match.start, end: match.end, next: seen ? Int32(state.head) : -1,
                                      variant: pattern.keyword.isVariant)
            keywords[keyword] = KeywordState(stamp: generation, head: UInt16(truncatingIfNeeded: index))
            if !seen {
                // The keyword's sets and anchored rules (layout in `RuleTable.keywordLinks`). Without a branch
                // per slot: every slot is stamped and written as a candidate, and the count moves on for a rule
                // not stamped before (sets and padding have checks -1). The counts and the outcomes vary from
                // keyword to keyword; branches on them were mispredicted about twice per keyword, and a loop
                // over the slots once, at its exit.
                let p = keywordLinks + Int(pattern.links)
                let slots = Int(p[0])
                candidates.reserve(candidates.count + max(slots, RuleTable.fixedLinks))
                let out = candidates.base
                var n = candidates.count
                @inline(__always) func link(_ j: Int) {
                    let slot = Int(p[1 + j]), checks = slotChecks[slot]
                    // In arithmetic: written as conditions, the compiler made branches of them again.
                    let fresh = Screener.isNonZero(UInt64(stamps[slot] ^ generation))  // not stamped in this field
                    let isRule = UInt64(UInt32(bitPattern: ~checks) >> 31)
                    stamps[slot] = generation
                    out[n] = Candidate(rule: Int32(truncatingIfNeeded: slot) &- ruleStampBase, checks: checks)
                    n &+= Int(truncatingIfNeeded: fresh & isRule)
                }
                for j in 0..<RuleTable.fixedLinks { link(j) }  // a constant count: unrolled, no loop left
                if slots > RuleTable.fixedLinks { for j in RuleTable.fixedLinks..<slots { link(j) } }
                candidates.count = n
            }
        }
        occurrences.count = matches.count
        self.occurrences = occurrences
        for rule in ruleSet.unanchoredRules where ruleStamps[Int(rule)] != generation {
            ruleStamps[Int(rule)] = generation
            candidates.append(Candidate(rule: rule, checks: table.checks.start(of: Int(rule))))
        }
        self.candidates = candidates

        if reportsEntities { extractEntities(.all) }

        let fieldBit = evidenceFieldBits[Int(fieldIndex)]
        // On the last field, meta rules with conditions of their own wait until every plain rule of the field
        // has been decided: most of them then cannot hold and are dropped before their (costly) entity or
        // regex conditions run. On earlier fields a rule they name may still fire later, so they run as usual.
        var deferred = self.deferredMeta
        deferred.count = 0
        // First the head of every candidate's checks, in a loop without branches (`headHolds`); the candidates
        // that pass stay, in order, and only they are tested further.
        var kept = 0
        for i in 0..<candidates.count {
            let candidate = candidates.base[i]
            candidates.base[kept] = candidate
            kept &+= headHolds(table.checks(at: candidate.checks), fieldBit: fieldBit)
        }
        candidates.count = kept
        for i in 0..<kept {
            let candidate = candidates.base[i]
            let checks = table.checks(at: candidate.checks)
            guard tailHolds(checks) else { continue }
            if isLastField && checks.flags.contains(.isMeta) {
                deferred.append(candidate)
                continue
            }
            evaluateCandidate(candidate.rule, checks, fieldIndex: fieldIndex, fieldName: fieldName, fieldBit: fieldBit)
        }
        self.deferredMeta = deferred
        for i in 0..<deferred.count {
            let candidate = deferred.base[i]
            guard metaMayHold(table.metaConditions(Int(candidate.rule))) else { continue }
            evaluateCandidate(candidate.rule, table.checks(at: candidate.checks), fieldIndex: fieldIndex, fieldName: fieldName, fieldBit: fieldBit)
        }
    }

    private func evaluateCandidate(_ candidate: Int32, _ checks: RuleTable.Checks, fieldIndex: Int32, fieldName: String, fieldBit: UInt64) {
        // Rules are shared by every screener of the process: borrowing one instead of retaining it keeps the
        // screening threads from contending for its reference count (the rule set outlives this screener).
        rules[Int(candidate)]._withUnsafeGuaranteedRef { rule in
            // The field mask has already decided, except for field names past the mask's bits.
            guard fieldBit != RuleTable.overflowFieldBit || rule.applies(to: fieldName) else { return }
            let mark = evidence.count
            if evaluate(rule, checks, field: fieldIndex) {
                fire(candidate, evidenceFrom: mark)
            } else {
                evidence.count = mark
            }
        }
    }

    /// Whether a meta rule could still hold given the rules fired so far; rules decided only after the fields
    /// (meta and transaction-only rules) count as possibly firing. `none` is not checked: it can only block.
    private func metaMayHold(_ meta: RuleTable.MetaConditions) -> Bool {
        @inline(__always) func maybe(_ d: Int32) -> Bool {
            fired[Int(d)] || table.flags[Int(d)].contains(.decidedAfterFields)
        }
        if !meta.all.allSatisfy(maybe) { return false }
        if !meta.any.isEmpty && !meta.any.contains(where: maybe) { return false }
        if meta.atLeast > 0 && meta.of.reduce(0, { $0 + (maybe($1) ? 1 : 0) }) < meta.atLeast { return false }
        return true
    }

    @inline(__always)
    private func seen(_ keyword: Int32) -> Bool { keywordStates[Int(keyword)].stamp == fieldGeneration }

    /// 1 when the head of a rule's checks holds (layout in `RuleTable.checks`): the rule applies to the field,
    /// its `unless` set was not seen, its `any` set and its first two `all` sets were. Most candidates fail
    /// here, before any evidence or per-occurrence work.
    ///
    /// Every slot is read before anything is decided, and the outcome is a number, not a branch: which
    /// condition fails differs from one candidate to the next, and a branch per condition was mispredicted
    /// about twice per candidate. (Written as conditions, the compiler turns them back into branches.)
    @inline(__always)
    private func headHolds(_ checks: RuleTable.Checks, fieldBit: UInt64) -> Int {
        let stamps = self.stamps.baseAddress!, generation = fieldGeneration
        // A stamp XOR the generation is 0 exactly when the set was seen.
        @inline(__always) func unseen(_ slot: Int32) -> UInt64 { UInt64(stamps[Int(slot)] ^ generation) }
        let (all0, all1) = checks.allSlots
        let unless = unseen(checks.unlessSlot), missing = unseen(checks.anySlot) | unseen(all0) | unseen(all1)
        let inField = checks.fieldMask & fieldBit
        return Int(truncatingIfNeeded: Screener.isNonZero(unless) & (Screener.isNonZero(missing) ^ 1) & Screener.isNonZero(inField))
    }

    /// 1 when `x` is not 0, else 0, computed without a branch: the branch-free tests above add it to counts
    /// and mask with it.
    @inline(__always)
    private static func isNonZero(_ x: UInt64) -> UInt64 { (x | (0 &- x)) >> 63 }

    /// The rest of a rule's checks, for a candidate whose head holds: the other `all` sets, the ASCII
    /// characters its conditions need, and its regexes' literals.
    @inline(__always)
    private func tailHolds(_ checks: RuleTable.Checks) -> Bool {
        guard checks.flags.contains(.hasCheckTail) else { return true }
        let stamps = self.stamps.baseAddress!, generation = fieldGeneration
        for slot in checks.moreAllSets where stamps[Int(slot)] != generation { return false }
        guard checks.asciiNeedsMet(text.asciiPresent) else { return false }
        var p = checks.regexGates
        let regexes = Int(p[0])
        guard regexes > 0 else { return true }
        p += 1
        for _ in 0..<regexes where regexGateOpen(&p) { return true }
        return false
    }

    /// Whether the regex whose gate starts at `p` (alternative count, then per alternative its set count and
    /// sets) may match: it is ungated, or some alternative has every literal set seen. Leaves `p` past the gate.
    @inline(__always)
    private func regexGateOpen(_ p: inout UnsafePointer<Int32>) -> Bool {
        let stamps = self.stamps.baseAddress!, generation = fieldGeneration
        let alternatives = Int(p[0])
        p += 1
        var open = alternatives == 0
        for _ in 0..<alternatives {
            let sets = Int(p[0])
            var k = 1
            while k <= sets && stamps[Int(p[k])] == generation { k += 1 }
            if k > sets { open = true }
            p += 1 + sets
        }
        return open
    }

    private func mayHoldLink() -> Bool {
        if let known = fieldMayHoldLink { return known }
        let may = scansDone.contains(.linksAndNumbers) ? fieldEntities.contains { $0.kind == .url }
            : ruleSet.entityExtractor.mayHoldLink(text.foldedBuffer)
        fieldMayHoldLink = may
        return may
    }

    private func extractEntities(_ scans: EntityExtractor.Scans) {
        let missing = scans.subtracting(scansDone)
        guard !missing.isEmpty else { return }
        scansDone.formUnion(missing)
        ruleSet.entityExtractor.extract(text.foldedBuffer, scans: missing, into: &fieldEntities)
    }

    /// Whether `rule` fires on the current field; its evidence is appended to `evidence` as it goes (the
    /// caller drops it when the rule does not fire).
    private func evaluate(_ rule: CompiledRule, _ checks: RuleTable.Checks, field: Int32) -> Bool {
        let maxSpans = ruleSet.settings.maxSpansPerRule
        let mark = evidence.count
        var spans: Int { evidence.count - mark }
        // Keyword conditions come from the packed table and the flags; `rule` is read only for the conditions
        // the flags say it has.
        let flags = checks.flags
        if flags.contains(.closingTurnsOnly) {
            guard let floor = closingTurnsStart(last: rule.definition.closingTurns ?? 1) else { return false }
            occurrenceFloor = floor
        }

        let keywords = table.keywordConditions(at: checks.keywordLists)
        if !keywords.any.isEmpty {
            var matched = false
            for keyword in keywords.any {
                forEachOccurrence(of: keyword, flags) { start, end, evasive in
                    matched = true
                    if spans < maxSpans {
                        appendUnique(keywordEvidence(field, start, end, evasive), from: mark)
                    } else {
                        keepEarliest(keywordEvidence(field, start, end, evasive), from: mark)
                    }
                }
            }
            guard matched else { return false }
        }
        if keywords.groupCount > 0 {
            guard allGroupsMatch(keywords, flags) else { return false }
            for d in 0..<chosen.count where spans < maxSpans {
                let o = groupOccurrences.base[Int(chosen.base[d])]
                appendUnique(keywordEvidence(field, Int(o.start), Int(o.end), o.variant), from: mark)
            }
        }
        if flags.contains(.hasRegexes) {
            guard regexesMatch(rule, checks, field: field) else { return false }
        }
        guard flags.contains(.hasEntityConditions) || flags.contains(.hasDocumentConditions) else { return true }
        return entityAndDocumentConditionsHold(rule, flags, field: field, mark: mark)
    }

    // The parts of `evaluate` that most rules do not have, kept out of line: `evaluate` runs for every
    // surviving candidate, and its common path (keyword conditions) stays a few cache lines of code instead of
    // dragging every condition kind's code through the instruction cache.

    /// Whether one of the rule's regexes matches the field; appends the match's evidence.
    @inline(never)
    private func regexesMatch(_ rule: CompiledRule, _ checks: RuleTable.Checks, field: Int32) -> Bool {
        let present = text.asciiPresent
        var gate = checks.regexGates + 1  // past the regex count
        // The regexes borrowed from the rule (which the rule set keeps alive), as rules are: iterating the
        // array retained and released each one, and its start list, per call.
        return rule.regexes.withUnsafeBufferPointer { regexes in
            for k in regexes.indices {
                let matched = Unmanaged.passUnretained(regexes[k])._withUnsafeGuaranteedRef { regex -> Bool in
                    guard regexGateOpen(&gate), regex.mayMatch(asciiPresent: present) else { return false }
                    // A `turns` rule searches from its closing turns' start (`evaluate` has worked it out), by a scan:
                    // the anchored attempts would also try the keywords before it.
                    let closing = checks.flags.contains(.closingTurnsOnly)
                    let from = !closing ? 0 : rule.regexOnCompact ? occurrenceFloor : closingTurnFoldedStart
                    guard let span = firstRegexMatch(regex, startingWith: closing ? nil : rule.regexStarts[k], compact: rule.regexOnCompact,
                                                     from: from) else {
                        return false
                    }
                    append(RawEvidence(field: field, start: Int32(span.start), end: Int32(span.end), textStart: -1, source: .regex, evasive: false))
                    return true
                }
                if matched { return true }
            }
            return false
        }
    }

    /// Whether the rule's entity, list and document conditions hold; appends their evidence.
    @inline(never)
    private func entityAndDocumentConditionsHold(_ rule: CompiledRule, _ flags: RuleTable.Flags, field: Int32, mark: Int) -> Bool {
        let maxSpans = ruleSet.settings.maxSpansPerRule
        var spans: Int { evidence.count - mark }
        if flags.contains(.hasEntityConditions) {
            let present = text.asciiPresent
            var scans: EntityExtractor.Scans = []
            func mayFind(_ kind: Entity.Kind) -> Bool {
                scans.insert(.init(finding: kind))
                return EntityExtractor.mayFind(kind, asciiPresent: present) && (kind != .url || mayHoldLink())
            }
            for requirement in rule.entities where !mayFind(requirement.kind) { return false }
            for requirement in rule.lists where !mayFind(requirement.entity) { return false }
            extractEntities(scans)
        }
        for requirement in rule.entities {
            var matched = false
            // By index: iterating the array copies each entity, strings and all.
            for e in fieldEntities.indices where fieldEntities[e].kind == requirement.kind {
                if let subkinds = requirement.subkinds, !subkinds.contains(fieldEntities[e].subkind ?? "") { continue }
                if let minimum = requirement.minimum, (fieldEntities[e].amount ?? -.infinity) < minimum { continue }
                if let maximum = requirement.maximum, (fieldEntities[e].amount ?? .infinity) > maximum { continue }
                matched = true
                if spans < maxSpans { append(entityEvidence(field, fieldEntities[e].foldedRange, .entity)) }
                break
            }
            guard matched else { return false }
        }
        for requirement in rule.lists {
            var matched = false
            for e in fieldEntities.indices where fieldEntities[e].kind == requirement.entity {
                let listed = fieldEntities[e].kind == .url
                    ? requirement.list.containsDomain(fieldEntities[e].host ?? "") || requirement.list.contains(fieldEntities[e].value)
                    : requirement.list.contains(fieldEntities[e].value)
                if listed {
                    matched = true
                    if spans < maxSpans { append(entityEvidence(field, fieldEntities[e].foldedRange, .list)) }
                    break
                }
            }
            guard matched else { return false }
        }
        if flags.contains(.hasDocumentConditions) {
            guard documentEvidence(rule) else { return false }
        }
        return true
    }

    /// Whether the rule's transaction conditions and payee list look-ups hold; appends their evidence.
    private func documentEvidence(_ rule: CompiledRule) -> Bool {
        guard let screened = transaction else { return false }
        if let condition = rule.transaction {
            guard let found = condition.evaluate(screened.transaction, recentFirstTimeTransfers: recentFirstTimeTransfers,
                                                 localOffsetMinutes: ruleSet.settings.localOffsetMinutes) else { return false }
            for e in found { appendDocumentEvidence(e) }
        }
        for (list, target) in rule.payeeLists {
            let field: String, raw: String?, key: String?
            switch target {
            case .payeeAccount: field = "payee.account"; raw = screened.transaction.payee.account; key = screened.payeeAccountKey
            // The name is also the text field `payee_name`: evidence named so is marked in it.
            case .payeeName: field = "payee_name"; raw = screened.transaction.payee.name; key = screened.payeeNameKey
            case .entity: continue
            }
            guard let raw, let key, list.contains(key) else { return false }
            appendDocumentEvidence(Verdict.Evidence(field: field, span: TextSpan(start: 0, end: raw.unicodeScalars.count), text: raw,
                                                    source: .list, evasive: false))
        }
        return true
    }

    /// Whether `evidenceFields` begins with the names of `fields` (a plain loop: this runs per document).
    private func evidenceFieldsStart(with fields: [Document.Field]) -> Bool {
        guard evidenceFields.count >= fields.count else { return false }
        for i in fields.indices where evidenceFields[i] != fields[i].name { return false }
        return true
    }

    /// Replaces the evidence field names, with their encoded openings.
    private func setEvidenceFields(_ names: [String]) {
        evidenceFields = names
        evidenceFieldBits = names.map(table.fieldBit)
        evidenceFieldOpenings = EncodedTexts(names.map { JSONWriter.evidenceOpening(field: $0) })
    }

    private func appendDocumentEvidence(_ e: Verdict.Evidence) {
        var field = evidenceFields.firstIndex(of: e.field) ?? -1
        if field < 0 {
            field = evidenceFields.count
            setEvidenceFields(evidenceFields + [e.field])
        }
        append(RawEvidence(field: Int32(field), start: Int32(e.span.start), end: Int32(e.span.end),
                           textStart: -1, source: e.source, evasive: e.evasive))
        var text = e.text
        text.withUTF8 { appendEvidenceText($0, to: evidence.count - 1) }
    }

    /// Copies the matched text of evidence `i` into `evidenceBytes`.
    private func appendEvidenceText(_ bytes: UnsafeBufferPointer<UInt8>, to i: Int) {
        let start = evidenceBytes.count
        evidenceBytes.reserve(start + bytes.count)
        if let from = bytes.baseAddress, !bytes.isEmpty { (evidenceBytes.base + start).update(from: from, count: bytes.count) }
        evidenceBytes.count = start + bytes.count
        evidence.base[i].textStart = Int32(start)
        evidence.base[i].textEnd = Int32(evidenceBytes.count)
    }

    @inline(__always)
    private func append(_ e: RawEvidence) { evidence.append(e) }

    /// The same span can satisfy several conditions of one rule; report it once. Read two ways (扣扣 as a
    /// keyword of its own and as a spelling of QQ), it is evasive only if every reading is, whatever order
    /// the rule lists its keywords in.
    @inline(__always)
    private func appendUnique(_ e: RawEvidence, from mark: Int) {
        for i in mark..<evidence.count {
            let other = evidence.base[i]
            if other.start == e.start && other.end == e.end && other.field == e.field {
                evidence.base[i].evasive = other.evasive && e.evasive
                return
            }
        }
        append(e)
    }

    /// With the rule's evidence full: `e` takes the place of the latest span kept when it comes before it.
    /// Occurrences are visited latest first, so without this the evidence was the last few in the text and a
    /// reader saw the first ones unmarked.
    private func keepEarliest(_ e: RawEvidence, from mark: Int) {
        var latest = mark
        for i in mark..<evidence.count {
            let other = evidence.base[i]
            if other.start == e.start && other.end == e.end && other.field == e.field {
                evidence.base[i].evasive = other.evasive && e.evasive  // as `appendUnique` merges a span read twice
                return
            }
            if other.start > evidence.base[latest].start { latest = i }
        }
        if e.start < evidence.base[latest].start { evidence.base[latest] = e }
    }

    private func keywordEvidence(_ field: Int32, _ start: Int, _ end: Int, _ evasive: Bool) -> RawEvidence {
        let span = text.originalSpan(compactStart: start, compactEnd: end)
        return RawEvidence(field: field, start: Int32(span.start), end: Int32(span.end), textStart: -1, source: .keyword, evasive: evasive)
    }

    private func entityEvidence(_ field: Int32, _ range: Range<Int>, _ source: Verdict.Evidence.Source) -> RawEvidence {
        let span = text.originalSpan(foldedStart: range.lowerBound, foldedEnd: range.upperBound)
        return RawEvidence(field: field, start: Int32(span.start), end: Int32(span.end), textStart: -1, source: source, evasive: false)
    }

    /// The compact position where the current field's last `n` turns begin — a turn is a line with something
    /// on it besides spaces — or nil when the field has no more than `n` turns: a single message has no
    /// closing turns, only a conversation has. Worked out once per field (the shipped rules ask one `n`).
    private func closingTurnsStart(last n: Int) -> Int? {
        if closingTurnCount == n { return closingTurnFloor >= 0 ? closingTurnFloor : nil }
        closingTurnCount = n
        closingTurnFloor = -1
        let folded = text.foldedBuffer
        // Most texts are one line: a rule that every text makes a candidate (a regex with no literal to gate it)
        // must cost them a compare per character, not a property look-up.
        var breaks = 0
        for scalar in folded where scalar == "\n" {
            breaks += 1
            if breaks >= n { break }
        }
        guard breaks >= n else { return nil }
        // Walk back from the end, counting lines that hold something; the start of the n-th is the floor.
        var turns = 0, lineHasText = false, turnStart = -1, i = folded.count
        while i > 0 {
            i -= 1
            let scalar = folded[i]
            if scalar == "\n" {
                if lineHasText { turns += 1; if turns == n { turnStart = i + 1 } }
                lineHasText = false
                if turns > n { break }
            } else if !lineHasText && !scalar.properties.isWhitespace {
                lineHasText = true
            }
        }
        if i == 0 && lineHasText { turns += 1; if turns == n { turnStart = 0 } }
        guard turns > n, turnStart >= 0 else { return nil }
        closingTurnFoldedStart = turnStart
        closingTurnFloor = text.compactIndex(atOrAfterFolded: turnStart)
        return closingTurnFloor
    }

    /// Calls `body` for each occurrence of `keyword` in the current field that the rule's options accept.
    @inline(__always)
    private func forEachOccurrence(of keyword: Int32, _ flags: RuleTable.Flags, _ body: (Int, Int, Bool) -> Void) {
        guard seen(keyword) else { return }
        var index = Int32(keywordStates[Int(keyword)].head)
        let occurrences = self.occurrences.base
        while index >= 0 {
            let o = occurrences[Int(index)]
            let start = Int(o.start), end = Int(o.end)
            if flags.contains(.closingTurnsOnly) && start < occurrenceFloor { index = o.next; continue }
            let evasive = o.variant || text.isEvasive(compactStart: start, compactEnd: end)
            if (!flags.contains(.evasiveOnly) || evasive) && isWholeWord(start, end, flags) {
                body(start, end, evasive)
            }
            index = o.next
        }
    }

    /// Whether one accepted occurrence per `all` element can be chosen, all within the rule's window when it
    /// has one; the choice is left in `chosen` (one index into `groupOccurrences` per element).
    ///
    /// One occurrence per element, no occurrence standing for two elements (`all: [[开通会员], [会员]]` needs
    /// 会员 twice; an occurrence inside another counts as the same), all within the window. A depth-first
    /// search over the (few) occurrences, iterative and in scratch buffers (no allocation per rule), with a
    /// work bound so a text full of keywords cannot make it explode.
    private func allGroupsMatch(_ keywords: RuleTable.KeywordConditions, _ flags: RuleTable.Flags) -> Bool {
        var found = groupOccurrences, bounds = groupBounds, chosen = self.chosen
        defer { groupOccurrences = found; groupBounds = bounds; self.chosen = chosen }
        found.count = 0
        bounds.count = 0
        bounds.reserve(keywords.groupCount + 1)
        bounds.base[0] = 0
        bounds.count = 1
        var empty = false
        keywords.forEachGroup { group in
            guard !empty else { return }
            let before = found.count
            for keyword in group {
                forEachOccurrence(of: keyword, flags) { start, end, evasive in
                    // Here the flag holds the occurrence's full evasiveness, already worked out.
                    found.append(Occurrence(start: Int32(start), end: Int32(end), next: -1, variant: evasive))
                }
            }
            if found.count == before { empty = true; return }
            // Insertion sort by start; where two start together the longer first (社保卡 over 社保: the evidence
            // names the whole phrase), and of one span read two ways the plain reading first — whatever order
            // the rule lists its keywords in. A group has a handful of occurrences.
            let o = found.base
            @inline(__always) func precedes(_ a: Occurrence, _ b: Occurrence) -> Bool {
                a.start != b.start ? a.start < b.start : a.end != b.end ? a.end > b.end : !a.variant && b.variant
            }
            for i in (before + 1)..<found.count {
                let item = o[i]
                var j = i
                while j > before && precedes(item, o[j - 1]) { o[j] = o[j - 1]; j -= 1 }
                o[j] = item
            }
            bounds.base[bounds.count] = Int32(found.count)
            bounds.count += 1
        }
        if empty { return false }
        let groups = keywords.groupCount
        let window = keywords.window
        let o = found.base, b = bounds.base
        chosen.reserve(groups)
        chosen.count = groups
        let cursor = chosen.base
        var budget = 20_000
        var depth = 0
        cursor[0] = b[0] - 1
        while depth >= 0 {
            cursor[depth] += 1
            if cursor[depth] >= b[depth + 1] { depth -= 1; continue }
            budget -= 1
            if budget < 0 { return false }
            let candidate = o[Int(cursor[depth])]
            var lower = Int(candidate.start), upper = Int(candidate.end)
            var usable = true
            for d in 0..<depth {
                let other = o[Int(cursor[d])]
                lower = min(lower, Int(other.start)); upper = max(upper, Int(other.end))
                // Nested occurrences are one phrase read twice; partly overlapping ones (暂停提现|提现功能) are two.
                if (other.start <= candidate.start && candidate.end <= other.end) || (candidate.start <= other.start && other.end <= candidate.end) {
                    usable = false
                    break
                }
            }
            guard usable, upper - lower <= window else { continue }
            if depth == groups - 1 { return true }
            depth += 1
            cursor[depth] = b[depth] - 1
        }
        return false
    }

    /// Whether compact scalars `start..<end` start and end on word boundaries, as the rule's `whole_word` asks
    /// (always, when it asks nothing).
    private func isWholeWord(_ start: Int, _ end: Int, _ flags: RuleTable.Flags) -> Bool {
        guard flags.contains(.wholeWord) || flags.contains(.asciiWord) else { return true }
        let foldedStart = text.foldedIndex(ofCompact: start)
        let foldedEnd = text.foldedIndex(ofCompact: end - 1) + 1
        if flags.contains(.asciiWord) {
            let folded = text.foldedBuffer
            return ASCIIWordBoundary.isBoundary(foldedStart, in: folded)
                && ASCIIWordBoundary.isBoundary(foldedEnd, in: folded)
        }
        return wordBoundaries.isBoundary(foldedStart, in: text) && wordBoundaries.isBoundary(foldedEnd, in: text)
    }

    /// The regex's first match in the field. A regex whose matches all start with one of a few keywords is
    /// tried anchored at just the places the automaton found them, in text order: the first that matches is
    /// the leftmost match a scan would find, for a fraction of the cost (a scan tries every position).
    private func firstRegexMatch(_ regex: CompiledRegex, startingWith starts: [Int32]?, compact: Bool, from start: Int = 0) -> TextSpan? {
        let scalars = compact ? text.compactBuffer : text.foldedBuffer
        let outcome = starts.flatMap { firstAnchoredMatch(regex, startingWith: $0, compact: compact, in: scalars) }
            ?? regexMatcher.firstMatch(regex, in: scalars, from: start)
        guard case .match(let range) = outcome else { return nil }
        if compact { return text.originalSpan(compactStart: range.lowerBound, compactEnd: range.upperBound) }
        return text.originalSpan(foldedStart: range.lowerBound, foldedEnd: range.upperBound)
    }

    /// Anchored attempts past this many start places cost more than one scan.
    static let maxAnchoredAttempts = 32

    /// The first match tried at the places the automaton found a start keyword; nil when only a scan can
    /// tell (too many places, or occurrences past the cap were not recorded).
    private func firstAnchoredMatch(_ regex: CompiledRegex, startingWith starts: [Int32], compact: Bool,
                                    in scalars: UnsafeBufferPointer<Unicode.Scalar>) -> RegexMatcher.Outcome? {
        guard !occurrencesCapped else { return nil }
        let found = occurrences.base
        if regex.startsAtTextStart {
            // `^…`: only a start keyword at the text's first character can begin a match, so most texts need
            // no call at all (a call into cold JIT code costs about a microsecond).
            guard compact || text.compactCount > 0 && text.foldedIndex(ofCompact: 0) == 0 else { return .noMatch }
            for keyword in starts where seen(keyword) {
                var index = Int32(keywordStates[Int(keyword)].head)
                while index >= 0 {
                    if found[Int(index)].start == 0 { return regexMatcher.anchoredMatch(regex, in: scalars, at: 0) }
                    index = found[Int(index)].next
                }
            }
            return .noMatch
        }
        var places = regexStartScratch
        defer { regexStartScratch = places }
        places.count = 0
        for keyword in starts where seen(keyword) {
            var index = Int32(keywordStates[Int(keyword)].head)
            while index >= 0 {
                guard places.count < Screener.maxAnchoredAttempts else { return nil }
                // In text order as they come (insertion sort: there are a handful).
                let start = found[Int(index)].start
                var j = places.count
                places.append(start)
                while j > 0 && places.base[j - 1] > start { places.base[j] = places.base[j - 1]; j -= 1 }
                places.base[j] = start
                index = found[Int(index)].next
            }
        }
        // Compact positions become positions of the text the regex reads (the map keeps their order).
        var previous = -1
        for i in 0..<places.count {
            let place = compact ? Int(places.base[i]) : text.foldedIndex(ofCompact: Int(places.base[i]))
            guard place != previous else { continue }
            previous = place
            let outcome = regexMatcher.anchoredMatch(regex, in: scalars, at: place)
            if outcome != .noMatch { return outcome }
        }
        return .noMatch
    }

    // MARK: Meta rules and the verdict

    private func evaluateMeta() {
        // A meta rule can only fire when a rule it names fired (or it has conditions of its own): mark those,
        // then take the marked ones in dependency order. Most texts mark none; the work is in the marked ones,
        // not in the number of meta rules (the 10x rule set has ten times as many).
        metaGeneration &+= 1
        if metaGeneration == 0 { metaStamp.update(repeating: 0); metaGeneration = 1 }
        let generation = metaGeneration
        let ranks = metaRanks
        var marked = markedMeta
        marked.count = 0
        // Marks a meta rule; with `next`, keeps the unvisited part (from `next`) in dependency order.
        func schedule(_ index: Int32, keepingOrderFrom next: Int? = nil) {
            guard metaStamp[Int(index)] != generation else { return }
            metaStamp[Int(index)] = generation
            marked.reserve(marked.count + 1)
            var j = marked.count
            if let next {
                while j > next && ranks[Int(marked.base[j - 1])] > ranks[Int(index)] { marked.base[j] = marked.base[j - 1]; j -= 1 }
            }
            marked.base[j] = index
            marked.count += 1
        }
        for rule in firedRules.buffer {
            for dependent in table.metaDependents[Int(rule)] { schedule(dependent) }
        }
        // Meta rules whose own field conditions held, and (for a transaction) those with document conditions.
        for index in pendingMeta.buffer { schedule(index) }
        if transaction != nil { for index in ruleSet.documentStartingMeta { schedule(index) } }
        marked.mutableBuffer.sortFew { ranks[Int($0)] < ranks[Int($1)] }
        var next = 0
        defer { markedMeta = marked }
        while next < marked.count {
            let index = marked.base[next]
            next += 1
            let r = Int(index)
            let flags = table.flags[r]
            // A meta rule with field conditions of its own needs them to have held in some field.
            if flags.contains(.hasFieldConditions) && !fired[r] { continue }
            guard flags.contains(.isMeta) else { continue }
            let meta = table.metaConditions(r)
            let ok = meta.all.allSatisfy { fired[Int($0)] }
                && (meta.any.isEmpty || meta.any.contains { fired[Int($0)] })
                && !meta.none.contains { fired[Int($0)] }
                && (meta.atLeast == 0 || meta.of.reduce(0) { $0 + (fired[Int($1)] ? 1 : 0) } >= meta.atLeast)
            var mark = evidence.count
            if ok && !flags.contains(.hasFieldConditions) && flags.contains(.hasDocumentConditions) {
                if !documentEvidence(ruleSet.rules[r]) { evidence.count = mark; mark = -1 }
            }
            guard ok, mark >= 0 else {
                // Its own field conditions held but the combination did not: the rule does not fire.
                fired[r] = false
                evidenceHead[r] = -1
                continue
            }
            // The meta rule's evidence is its own plus that of every named rule that fired.
            meta.forEachNamed { dependency in
                guard fired[Int(dependency)] else { return }
                var i = evidenceHead[Int(dependency)]
                while i >= 0 {
                    let e = evidence.base[Int(i)]
                    if !isChained(e, to: r, since: mark) { append(e) }
                    i = e.next
                }
            }
            fired[r] = true
            firedRules.append(index)
            fire(index, evidenceFrom: mark)
            for dependent in table.metaDependents[r] { schedule(dependent, keepingOrderFrom: next) }
        }
    }

    /// Whether evidence with the same content is already the rule's (chained, or written since `mark`).
    private func isChained(_ e: RawEvidence, to rule: Int, since mark: Int) -> Bool {
        for i in mark..<evidence.count where sameContent(evidence.base[i], e) { return true }
        var i = evidenceHead[rule]
        while i >= 0 {
            if sameContent(evidence.base[Int(i)], e) { return true }
            i = evidence.base[Int(i)].next
        }
        return false
    }

    /// The verdict from the fired rules: scores, decision, and the hits recorded compactly (`FiredRules`).
    private func verdict(entities: [Verdict.FoundEntity], truncated: Bool, isTransaction: Bool) -> Verdict {
        guard firedRules.count > 0 else {  // most texts: nothing to score
            return Verdict(decision: .allow, score: 0, entities: entities, rulesVersion: ruleSet.version, truncated: truncated,
                           isTransaction: isTransaction, fired: nil)
        }
        let scores = categoryScoreScratch
        scores.update(repeating: 0)
        var adjustment = 0
        // Hits come out highest score first, then by rule id: sort the fired rules on integers, not the hits on
        // strings.
        let ranks = idRanks, ruleScores = self.ruleScores
        firedRules.mutableBuffer.sortFew {
            ruleScores[Int($0)] != ruleScores[Int($1)] ? ruleScores[Int($0)] > ruleScores[Int($1)] : ranks[Int($0)] < ranks[Int($1)]
        }
        // Evidence is listed by field name, then span; the same span found two ways lists keyword, regex,
        // entity, list in that order.
        // (A message has one field: no ranking to build.)
        var fieldRank: [Int] = []
        if evidenceFields.count > 1 {
            fieldRank = [Int](repeating: 0, count: evidenceFields.count)
            for (rank, field) in evidenceFields.indices.sorted(by: { evidenceFields[$0] < evidenceFields[$1] }).enumerated() { fieldRank[field] = rank }
        }
        func precedes(_ a: RawEvidence, _ b: RawEvidence) -> Bool {
            let fa = fieldRank.isEmpty ? 0 : fieldRank[Int(a.field)], fb = fieldRank.isEmpty ? 0 : fieldRank[Int(b.field)]
            if fa != fb { return fa < fb }
            if a.start != b.start { return a.start < b.start }
            if a.end != b.end { return a.end < b.end }
            return a.source.rank < b.source.rank
        }
        // Every fired rule's evidence, each rule's sorted, one rule after the other.
        var sorted = spanScratch, ends = hitEvidenceEnds
        sorted.count = 0
        ends.count = 0
        var textBytes = 0
        for index in firedRules.buffer {
            let r = Int(index)
            let category = Int(ruleCategories[r])
            if category >= 0 { scores[category] += Int(ruleScores[r]) } else { adjustment += Int(ruleScores[r]) }
            let first = sorted.count
            var i = evidenceHead[r]
            while i >= 0 {
                let e = evidence.base[Int(i)]
                sorted.reserve(sorted.count + 1)
                // Insertion into sorted position: a rule has a handful of pieces of evidence.
                var j = sorted.count
                while j > first && precedes(e, sorted.base[j - 1]) { sorted.base[j] = sorted.base[j - 1]; j -= 1 }
                sorted.base[j] = e
                sorted.count += 1
                textBytes += Int(e.textEnd - e.textStart)
                i = e.next
            }
            ends.append(Int32(sorted.count))
        }
        spanScratch = sorted
        hitEvidenceEnds = ends
        // Ceilings: a fired rule with one caps its category (every category, for "*").
        var starCeiling = Int.max
        let ceilings = categoryCeilingScratch
        if table.hasCeilings {
            ceilings.update(repeating: Int.max)
            for index in firedRules.buffer where table.ceilings[Int(index)] >= 0 {
                let ceiling = Int(table.ceilings[Int(index)]), category = Int(ruleCategories[Int(index)])
                if category >= 0 { ceilings[category] = min(ceilings[category], ceiling) } else { starCeiling = min(starCeiling, ceiling) }
            }
        }
        // Categories scoring above zero, highest first, then — among categories a ceiling held level — highest
        // before the ceiling (the conversation was about that one), then by id.
        var scoring = scoringCategories
        scoring.count = 0
        let idRanks = table.categoryIDRanks, capped = table.hasCeilings
        for c in scores.indices where scores[c] != 0 {
            // An adjustment alone (no rule of the category fired) does not make a category score.
            let uncapped = max(0, scores[c] + adjustment)
            let score = capped ? min(uncapped, starCeiling, ceilings[c]) : uncapped
            if capped { ceilings[c] = uncapped }  // from here on, what each category scored before its ceiling
            scores[c] = score
            guard score > 0 else { continue }
            func ranksBelow(_ other: Int) -> Bool {
                if scores[other] != score { return scores[other] < score }
                if capped && ceilings[other] != uncapped { return ceilings[other] < uncapped }
                return idRanks[other] > idRanks[c]
            }
            scoring.append(Int32(c))
            var j = scoring.count - 1
            while j > 0, ranksBelow(Int(scoring.base[j - 1])) {
                scoring.base[j] = scoring.base[j - 1]
                j -= 1
            }
            scoring.base[j] = Int32(c)
        }
        scoringCategories = scoring
        let best = scoring.count > 0 ? Int(scoring.base[0]) : -1

        var decision = Verdict.Decision.allow
        var score = 0
        if best >= 0 {
            score = scores[best]
            let thresholds = table.categoryThresholds[best]
            decision = score >= thresholds.block ? .block : score >= thresholds.warn ? .warn : .allow
        }
        let fired = FiredRules.make(hits: firedRules.count, evidence: sorted.count, categoryScores: scoring.count,
                                    textBytes: textBytes, category: best, fieldNames: evidenceFields,
                                    fieldOpenings: evidenceFieldOpenings,
                                    ruleText: ruleSet.encodedText) { record in
            var from = 0
            for (h, index) in firedRules.buffer.enumerated() {
                let end = Int(ends.base[h])
                for k in from..<end {
                    let e = sorted.base[k]
                    record.append(field: e.field, start: e.start, end: e.end, source: e.source, evasive: e.evasive,
                                  text: evidenceText(e))
                }
                from = end
                record.appendHit(rule: index, score: ruleScores[Int(index)], category: ruleCategories[Int(index)])
            }
            for k in 0..<scoring.count {
                let c = Int(scoring.base[k])
                record.appendCategoryScore(category: Int32(c), score: Int32(clamping: scores[c]))
            }
        }
        return Verdict(decision: decision, score: score, entities: entities, rulesVersion: ruleSet.version,
                       truncated: truncated, isTransaction: isTransaction, fired: fired)
    }
}
