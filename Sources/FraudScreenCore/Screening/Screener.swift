/// Screens documents against one rule set. Holds the scratch buffers, regex match data and word breaker a
/// screening needs, so steady-state screening allocates little: keep one per thread (it is not thread-safe)
/// and make a new one when the rule set changes.
public final class Screener {
    public let ruleSet: RuleSet
    private let regexMatcher: RegexMatcher
    private let wordBoundaries = WordBoundaries()
    private let text = NormalizedText()

    // Keyword occurrences of the current field, chained per keyword (newest first).
    private var occurrenceStart: [Int32] = []
    private var occurrenceEnd: [Int32] = []
    private var occurrenceEvasive: [Bool] = []
    private var occurrenceNext: [Int32] = []
    private var keywordHead: [Int32]
    private var keywordStamp: [UInt32]
    private var fieldGeneration: UInt32 = 0

    private var ruleStamp: [UInt32]
    private var metaStamp: [UInt32]
    private var metaGeneration: UInt32 = 0
    private var candidates: [Int32] = []
    private var fieldEntities: [Entity] = []

    // Per document.
    private var fired: [Bool]
    private var firedRules: [Int32] = []
    private var evidence: [Int32: [Verdict.Evidence]] = [:]

    /// Transfers to first-time payees per payer, for velocity conditions (per-process state; share one
    /// tracker between the screeners of a process).
    public var velocity: VelocityTracker?
    private var transaction: Transaction?
    private var recentFirstTimeTransfers = 0

    /// Occurrences kept per field; a pathological text beyond this is still scanned but later occurrences of
    /// keywords are not recorded (rules have all they need long before).
    static let maxOccurrencesPerField = 65_536

    /// Whether verdicts list every entity found; when false, entities are extracted only for fields where
    /// a rule needs them (faster: most texts fire no entity rule).
    public let reportsEntities: Bool
    private var entitiesExtracted = false

    public init(ruleSet: RuleSet, reportsEntities: Bool = true) {
        self.ruleSet = ruleSet
        self.reportsEntities = reportsEntities
        regexMatcher = RegexMatcher(matchLimit: ruleSet.settings.regexMatchLimit, depthLimit: ruleSet.settings.regexDepthLimit)
        keywordHead = [Int32](repeating: -1, count: ruleSet.keywordCount)
        keywordStamp = [UInt32](repeating: 0, count: ruleSet.keywordCount)
        ruleStamp = [UInt32](repeating: 0, count: ruleSet.rules.count)
        metaStamp = [UInt32](repeating: 0, count: ruleSet.rules.count)
        fired = [Bool](repeating: false, count: ruleSet.rules.count)
    }

    /// How many regex matches were abandoned at the PCRE2 work limits.
    public var regexLimitHits: Int { regexMatcher.limitHits }

    /// Screens a message text.
    public func screen(_ message: String) -> Verdict { screen(.message(message)) }

    /// Screens a document: every field, then meta rules, then scores and the decision.
    public func screen(_ document: Document) -> Verdict {
        for rule in firedRules { fired[Int(rule)] = false }
        firedRules.removeAll(keepingCapacity: true)
        evidence.removeAll(keepingCapacity: true)
        var entities: [Verdict.FoundEntity] = []
        var truncated = false
        transaction = document.transaction
        recentFirstTimeTransfers = 0
        if let transaction, transaction.firstTimePayee == true {
            recentFirstTimeTransfers = 1
            if let velocity, let payer = transaction.payer.account, !payer.isEmpty {
                recentFirstTimeTransfers = velocity.recordFirstTimeTransfer(payer: FraudList.normalise(payer), at: transaction.timestamp.epochSeconds)
            }
        }

        for field in document.fields {
            text.reset(field.text[...].unicodeScalars, table: ruleSet.foldTable, maxScalars: ruleSet.settings.maxTextScalars)
            truncated = truncated || text.truncated
            screenField(field.name)
            for entity in fieldEntities {
                entities.append(.init(field: field.name, entity: entity,
                                      span: text.originalSpan(foldedStart: entity.foldedRange.lowerBound, foldedEnd: entity.foldedRange.upperBound)))
            }
        }
        if transaction != nil {
            for index in ruleSet.documentRules {
                guard let found = documentEvidence(ruleSet.rules[Int(index)]) else { continue }
                fired[Int(index)] = true
                firedRules.append(index)
                evidence[index] = found
            }
        }
        evaluateMeta()
        var result = verdict(document, entities: entities, truncated: truncated)
        result.isTransaction = document.transaction != nil
        return result
    }

    // MARK: Fields

    private func screenField(_ fieldName: String) {
        fieldGeneration &+= 1
        if fieldGeneration == 0 {  // wrapped: stale stamps could look current
            for i in keywordStamp.indices { keywordStamp[i] = 0 }
            for i in ruleStamp.indices { ruleStamp[i] = 0 }
            fieldGeneration = 1
        }
        let generation = fieldGeneration
        occurrenceStart.removeAll(keepingCapacity: true)
        occurrenceEnd.removeAll(keepingCapacity: true)
        occurrenceEvasive.removeAll(keepingCapacity: true)
        occurrenceNext.removeAll(keepingCapacity: true)
        candidates.removeAll(keepingCapacity: true)
        fieldEntities.removeAll(keepingCapacity: true)
        wordBoundaries.invalidate()

        let ruleSet = self.ruleSet
        let text = self.text
        // Locals, stored back after the pass: per-occurrence access to the class's arrays would cost an
        // exclusivity check and a retain each.
        var starts = occurrenceStart, ends = occurrenceEnd, evasives = occurrenceEvasive, next = occurrenceNext
        var heads = keywordHead, stamps = keywordStamp, ruleStamps = ruleStamp, candidates = self.candidates
        occurrenceStart = []; occurrenceEnd = []; occurrenceEvasive = []; occurrenceNext = []
        keywordHead = []; keywordStamp = []; ruleStamp = []; self.candidates = []
        text.compactScalars.withUnsafeBufferPointer { scalars in
            ruleSet.automaton.forEachMatch(in: scalars) { pattern, start, end in
                guard starts.count < Screener.maxOccurrencesPerField else { return }
                let keyword = Int(ruleSet.patternKeyword[pattern])
                let index = Int32(starts.count)
                starts.append(Int32(start))
                ends.append(Int32(end))
                evasives.append(ruleSet.patternIsVariant[pattern] || text.isEvasive(compactStart: start, compactEnd: end))
                if stamps[keyword] == generation {
                    next.append(heads[keyword])
                } else {
                    next.append(-1)
                    stamps[keyword] = generation
                    for rule in ruleSet.keywordAnchors[keyword] where ruleStamps[Int(rule)] != generation {
                        ruleStamps[Int(rule)] = generation
                        candidates.append(rule)
                    }
                }
                heads[keyword] = index
            }
        }
        occurrenceStart = starts; occurrenceEnd = ends; occurrenceEvasive = evasives; occurrenceNext = next
        keywordHead = heads; keywordStamp = stamps; ruleStamp = ruleStamps; self.candidates = candidates
        for rule in ruleSet.unanchoredRules where ruleStamp[Int(rule)] != generation {
            ruleStamp[Int(rule)] = generation
            candidates.append(rule)
        }

        entitiesExtracted = false
        if reportsEntities { extractEntities() }

        for candidate in candidates {
            let rule = ruleSet.rules[Int(candidate)]
            guard rule.applies(to: fieldName), let found = evaluate(rule, field: fieldName) else { continue }
            if !fired[Int(candidate)] {
                fired[Int(candidate)] = true
                if rule.meta == nil { firedRules.append(candidate) }
            }
            evidence[candidate, default: []].append(contentsOf: found)
        }
    }

    private func extractEntities() {
        guard !entitiesExtracted else { return }
        entitiesExtracted = true
        ruleSet.entityExtractor.extract(text.folded, into: &fieldEntities)
    }

    /// The evidence if `rule` fires on the current field, nil otherwise.
    private func evaluate(_ rule: CompiledRule, field: String) -> [Verdict.Evidence]? {
        let maxSpans = ruleSet.settings.maxSpansPerRule
        var found: [Verdict.Evidence] = []

        // Necessary conditions on "was the keyword seen at all" first: most candidates fail here, before
        // any evidence or per-occurrence work.
        @inline(__always) func seen(_ keyword: Int32) -> Bool { keywordStamp[Int(keyword)] == fieldGeneration }
        for keyword in rule.unlessKeywords where seen(keyword) { return nil }
        if !rule.anyKeywords.isEmpty && !rule.anyKeywords.contains(where: seen) { return nil }
        for group in rule.allGroups where !group.contains(where: seen) { return nil }
        if !rule.regexes.isEmpty && !rule.regexGates.contains(where: { $0 == nil || $0!.contains(where: seen) }) { return nil }
        if !rule.anyKeywords.isEmpty {
            var matched = false
            for keyword in rule.anyKeywords {
                forEachOccurrence(of: keyword, rule) { start, end, evasive in
                    matched = true
                    if found.count < maxSpans { appendUnique(keywordEvidence(field, start, end, evasive), to: &found) }
                }
            }
            guard matched else { return nil }
        }
        if !rule.allGroups.isEmpty {
            guard let occurrences = allGroupsMatch(rule) else { return nil }
            for (start, end, evasive) in occurrences where found.count < maxSpans {
                appendUnique(keywordEvidence(field, start, end, evasive), to: &found)
            }
        }
        if !rule.regexes.isEmpty {
            var matched = false
            for (regex, gate) in zip(rule.regexes, rule.regexGates) {
                if let gate, !gate.contains(where: { keywordStamp[Int($0)] == fieldGeneration }) { continue }
                if let span = firstRegexMatch(regex, compact: rule.regexOnCompact) {
                    found.append(Verdict.Evidence(field: field, span: span, text: "", source: .regex, evasive: false))
                    matched = true
                    break
                }
            }
            guard matched else { return nil }
        }
        if !rule.entities.isEmpty || !rule.lists.isEmpty { extractEntities() }
        for requirement in rule.entities {
            var matched = false
            for entity in fieldEntities where entity.kind == requirement.kind {
                if let subkinds = requirement.subkinds, !subkinds.contains(entity.subkind ?? "") { continue }
                if let minimum = requirement.minimum, (entity.amount ?? -.infinity) < minimum { continue }
                if let maximum = requirement.maximum, (entity.amount ?? .infinity) > maximum { continue }
                matched = true
                if found.count < maxSpans { found.append(entityEvidence(field, entity, .entity)) }
                break
            }
            guard matched else { return nil }
        }
        for requirement in rule.lists {
            var matched = false
            for entity in fieldEntities where entity.kind == requirement.entity {
                let listed = entity.kind == .url
                    ? requirement.list.containsDomain(entity.host ?? "") || requirement.list.contains(entity.value)
                    : requirement.list.contains(entity.value)
                if listed {
                    matched = true
                    if found.count < maxSpans { found.append(entityEvidence(field, entity, .list)) }
                    break
                }
            }
            guard matched else { return nil }
        }
        if rule.hasDocumentConditions {
            guard let documentFound = documentEvidence(rule) else { return nil }
            found.append(contentsOf: documentFound)
        }
        return found
    }

    /// The evidence when the rule's transaction conditions and payee list look-ups hold, nil otherwise.
    private func documentEvidence(_ rule: CompiledRule) -> [Verdict.Evidence]? {
        guard let transaction else { return nil }
        var found: [Verdict.Evidence] = []
        if let condition = rule.transaction {
            guard let evidence = condition.evaluate(transaction, recentFirstTimeTransfers: recentFirstTimeTransfers,
                                                    localOffsetMinutes: ruleSet.settings.localOffsetMinutes) else { return nil }
            found.append(contentsOf: evidence)
        }
        for (list, target) in rule.payeeLists {
            let field: String, raw: String?
            switch target {
            case .payeeAccount: field = "payee.account"; raw = transaction.payee.account
            case .payeeName: field = "payee.name"; raw = transaction.payee.name
            case .entity: continue
            }
            guard let raw, list.contains(FraudList.normalise(raw)) else { return nil }
            found.append(Verdict.Evidence(field: field, span: TextSpan(start: 0, end: raw.unicodeScalars.count), text: raw,
                                          source: .list, evasive: false))
        }
        return found
    }

    /// The same span can satisfy several conditions of one rule; report it once.
    @inline(__always)
    private func appendUnique(_ evidence: Verdict.Evidence, to found: inout [Verdict.Evidence]) {
        if !found.contains(where: { $0.span == evidence.span && $0.field == evidence.field }) { found.append(evidence) }
    }

    private func keywordEvidence(_ field: String, _ start: Int, _ end: Int, _ evasive: Bool) -> Verdict.Evidence {
        let span = text.originalSpan(compactStart: start, compactEnd: end)
        return Verdict.Evidence(field: field, span: span, text: "", source: .keyword, evasive: evasive)
    }

    private func entityEvidence(_ field: String, _ entity: Entity, _ source: Verdict.Evidence.Source) -> Verdict.Evidence {
        let span = text.originalSpan(foldedStart: entity.foldedRange.lowerBound, foldedEnd: entity.foldedRange.upperBound)
        return Verdict.Evidence(field: field, span: span, text: "", source: source, evasive: false)
    }

    /// Calls `body` for each occurrence of `keyword` in the current field that the rule's options accept.
    @inline(__always)
    private func forEachOccurrence(of keyword: Int32, _ rule: CompiledRule, _ body: (Int, Int, Bool) -> Void) {
        guard keywordStamp[Int(keyword)] == fieldGeneration else { return }
        var index = keywordHead[Int(keyword)]
        while index >= 0 {
            let i = Int(index)
            let start = Int(occurrenceStart[i]), end = Int(occurrenceEnd[i]), evasive = occurrenceEvasive[i]
            if (!rule.evasiveOnly || evasive) && (!rule.wholeWord || isWholeWord(start, end)) {
                body(start, end, evasive)
            }
            index = occurrenceNext[i]
        }
    }

    /// One accepted occurrence per `all` element, all within the rule's window when it has one; nil if none.
    private func allGroupsMatch(_ rule: CompiledRule) -> [(Int, Int, Bool)]? {
        var perGroup: [[(Int, Int, Bool)]] = []
        for group in rule.allGroups {
            var occurrences: [(Int, Int, Bool)] = []
            for keyword in group { forEachOccurrence(of: keyword, rule) { occurrences.append(($0, $1, $2)) } }
            if occurrences.isEmpty { return nil }
            perGroup.append(occurrences.sorted { $0.0 < $1.0 })
        }
        // One occurrence per element, no occurrence standing for two elements (`all: [[开通会员], [会员]]`
        // needs 会员 twice; an occurrence inside another counts as the same), all within the window when there is one. A depth-first search over the
        // (few) occurrences, with a work bound so a text full of keywords cannot make it explode.
        let window = rule.window ?? Int.max
        var chosen: [(Int, Int, Bool)] = []
        var budget = 20_000
        func search(_ group: Int, _ from: Int, _ to: Int) -> Bool {
            if group == perGroup.count { return true }
            for occurrence in perGroup[group] {
                budget -= 1
                if budget < 0 { return false }
                let lower = min(from, occurrence.0), upper = max(to, occurrence.1)
                guard upper - lower <= window else { continue }
                // Nested occurrences are one phrase read twice; partly overlapping ones (暂停提现|提现功能) are two.
                guard !chosen.contains(where: { ($0.0 <= occurrence.0 && occurrence.1 <= $0.1) || (occurrence.0 <= $0.0 && $0.1 <= occurrence.1) })
                else { continue }
                chosen.append(occurrence)
                if search(group + 1, lower, upper) { return true }
                chosen.removeLast()
            }
            return false
        }
        return search(0, Int.max, Int.min) ? chosen : nil
    }

    private func isWholeWord(_ start: Int, _ end: Int) -> Bool {
        let foldedStart = Int(text.compactToFolded[start])
        let foldedEnd = Int(text.compactToFolded[end - 1]) + 1
        return wordBoundaries.isBoundary(foldedStart, in: text) && wordBoundaries.isBoundary(foldedEnd, in: text)
    }

    private func firstRegexMatch(_ regex: CompiledRegex, compact: Bool) -> TextSpan? {
        let (bytes, byteToIndex) = compact ? text.compactUTF8() : text.utf8()
        let outcome = bytes.withUnsafeBufferPointer { regexMatcher.firstMatch(regex, in: $0) }
        guard case .match(let range) = outcome else { return nil }
        let start = Int(byteToIndex[range.lowerBound]), end = Int(byteToIndex[range.upperBound])
        if compact { return text.originalSpan(compactStart: start, compactEnd: end) }
        return text.originalSpan(foldedStart: start, foldedEnd: end)
    }

    // MARK: Meta rules and the verdict

    private func evaluateMeta() {
        // A meta rule can only fire when a rule it names fired (or it has conditions of its own): mark those,
        // then walk the dependency order looking only at marked ones. Most texts mark none.
        metaGeneration &+= 1
        if metaGeneration == 0 { for i in metaStamp.indices { metaStamp[i] = 0 }; metaGeneration = 1 }
        var marked = 0
        for rule in firedRules {
            for dependent in ruleSet.metaDependents[Int(rule)] where metaStamp[Int(dependent)] != metaGeneration {
                metaStamp[Int(dependent)] = metaGeneration; marked += 1
            }
        }
        for index in ruleSet.selfStartingMeta where metaStamp[Int(index)] != metaGeneration {
            metaStamp[Int(index)] = metaGeneration; marked += 1
        }
        guard marked > 0 else { return }
        for index in ruleSet.metaOrder where metaStamp[Int(index)] == metaGeneration {
            let rule = ruleSet.rules[Int(index)]
            guard let meta = rule.meta else { continue }
            // A meta rule with field conditions of its own needs them to have held in some field.
            if rule.hasFieldConditions && !fired[Int(index)] { continue }
            if !rule.hasFieldConditions && rule.hasDocumentConditions {
                guard let found = documentEvidence(rule) else { continue }
                evidence[index] = found
            }
            let ok = meta.all.allSatisfy { fired[Int($0)] }
                && (meta.any.isEmpty || meta.any.contains { fired[Int($0)] })
                && !meta.none.contains { fired[Int($0)] }
                && (meta.atLeast == 0 || meta.of.reduce(0) { $0 + (fired[Int($1)] ? 1 : 0) } >= meta.atLeast)
            if !ok {
                fired[Int(index)] = false
                evidence[index] = nil
                continue
            }
            fired[Int(index)] = true
            firedRules.append(index)
            for dependent in ruleSet.metaDependents[Int(index)] { metaStamp[Int(dependent)] = metaGeneration }
            var combined = evidence[index] ?? []
            for dependency in meta.all + meta.any + meta.of where fired[Int(dependency)] {
                for e in evidence[dependency] ?? [] where !combined.contains(e) { combined.append(e) }
            }
            evidence[index] = combined
        }
    }

    private func verdict(_ document: Document, entities: [Verdict.FoundEntity], truncated: Bool) -> Verdict {
        // Evidence from text fields carries only its span until here: the matched text is cut out of the
        // original only for rules that fired, not for every partial match along the way.
        var fieldScalars: [String: [Unicode.Scalar]] = [:]
        func matchedText(_ e: Verdict.Evidence) -> String {
            guard e.text.isEmpty, let field = document.fields.first(where: { $0.name == e.field }) else { return e.text }
            if fieldScalars[e.field] == nil { fieldScalars[e.field] = Array(field.text.unicodeScalars) }
            let scalars = fieldScalars[e.field]!
            var bytes: [UInt8] = []
            for scalar in scalars[max(0, e.span.start)..<min(scalars.count, e.span.end)] { UTF8.encode(scalar) { bytes.append($0) } }
            return String(decoding: bytes, as: UTF8.self)
        }
        let categories = ruleSet.categories
        var scores = [Int](repeating: 0, count: categories.count)
        var adjustment = 0
        var hits: [Verdict.RuleHit] = []
        hits.reserveCapacity(firedRules.count)
        for index in firedRules {
            let rule = ruleSet.rules[Int(index)]
            if let category = rule.categoryIndex { scores[category] += rule.score } else { adjustment += rule.score }
            var spans = evidence[index] ?? []
            for i in spans.indices where spans[i].text.isEmpty { spans[i].text = matchedText(spans[i]) }
            spans.sort { ($0.field, $0.span) < ($1.field, $1.span) }
            hits.append(Verdict.RuleHit(ruleID: rule.id, category: rule.categoryIndex.map { categories[$0].id } ?? "*",
                                        score: rule.score, description: rule.definition.description, evidence: spans))
        }
        var categoryScores: [(category: String, score: Int)] = []
        var best: Int?
        for i in categories.indices {
            // An adjustment alone (no rule of the category fired) does not make a category score.
            let hasOwnHit = scores[i] != 0
            let score = hasOwnHit ? max(0, scores[i] + adjustment) : 0
            scores[i] = score
            if score > 0 {
                categoryScores.append((categories[i].id, score))
                if best == nil || score > scores[best!] { best = i }
            }
        }
        categoryScores.sort { $0.score > $1.score || ($0.score == $1.score && $0.category < $1.category) }
        hits.sort { $0.score > $1.score || ($0.score == $1.score && $0.ruleID < $1.ruleID) }

        var decision = Verdict.Decision.allow
        var category: Category?
        var score = 0
        if let best {
            category = categories[best]
            score = scores[best]
            let thresholds = categories[best].thresholds ?? ruleSet.settings.thresholds
            decision = score >= thresholds.block ? .block : score >= thresholds.warn ? .warn : .allow
        }
        return Verdict(decision: decision, category: category, score: score, categoryScores: categoryScores, hits: hits,
                       entities: entities, rulesVersion: ruleSet.version, truncated: truncated)
    }
}
