import Yams

/// Parses the YAML files of a rule set into definitions. Only syntax and local validity are checked here;
/// cross-references (categories, lists, meta ids) are checked when the set is compiled.
struct RuleFileParser {
    static let ruleKeys: Set<String> = [
        "id", "category", "score", "description", "fields", "keywords", "unless", "regex", "regex_on",
        "entities", "lists", "meta", "examples", "transaction", "ceiling", "turns",
    ]
    /// How many closing turns a `turns: {last: N}` rule may name.
    static let closingTurnRange = 1...8

    func parseSettings(_ text: String, file: String) throws -> RuleSetSettings {
        let reader = YAMLReader(file: file)
        var settings = RuleSetSettings()
        guard let root = try reader.compose(text) else { return settings }
        for (key, value) in try reader.mapping(root, "ruleset", allowedKeys: ["thresholds", "limits", "transactions"]) {
            switch key {
            case "thresholds":
                settings.thresholds = try thresholds(value, reader: reader)
            case "transactions":
                for (name, option) in try reader.mapping(value, "transactions", allowedKeys: ["time_zone", "velocity_window_minutes"]) {
                    if name == "time_zone" {
                        let zone = try reader.string(option, "time_zone")
                        guard let offset = RuleFileParser.utcOffset(zone) else {
                            throw reader.fail(option, "time_zone must be an offset such as +08:00")
                        }
                        settings.localOffsetMinutes = offset
                    } else {
                        let minutes = try reader.int(option, name, in: 1...525_600)  // up to a year
                        settings.velocityWindowMinutes = minutes
                    }
                }
            default:
                for (name, limit) in try reader.mapping(value, "limits", allowedKeys: [
                    "regex_match_limit", "regex_depth_limit", "max_spans_per_rule", "max_text_scalars",
                ]) {
                    let number = try reader.int(limit, name)
                    guard number > 0 else { throw reader.fail(limit, "\(name) must be positive") }
                    switch name {
                    case "regex_match_limit": settings.regexMatchLimit = UInt32(clamping: number)
                    case "regex_depth_limit": settings.regexDepthLimit = UInt32(clamping: number)
                    case "max_spans_per_rule": settings.maxSpansPerRule = number
                    default: settings.maxTextScalars = number
                    }
                }
            }
        }
        return settings
    }

    func thresholds(_ node: Node, reader: YAMLReader) throws -> Thresholds {
        var warn: Int?, block: Int?
        for (key, value) in try reader.mapping(node, "thresholds", allowedKeys: ["warn", "block"]) {
            if key == "warn" { warn = try reader.int(value, "warn") } else { block = try reader.int(value, "block") }
        }
        guard let warn, let block else { throw reader.fail(node, "thresholds need both warn and block") }
        guard warn > 0, block >= warn else { throw reader.fail(node, "thresholds need 0 < warn <= block") }
        return Thresholds(warn: warn, block: block)
    }

    func parseCategories(_ text: String, file: String) throws -> [Category] {
        let reader = YAMLReader(file: file)
        guard let root = try reader.compose(text) else { throw RuleSetError(file: file, message: "no categories") }
        var categories: [Category] = []
        var seen = Set<String>()
        for (_, list) in try reader.mapping(root, "categories file", allowedKeys: ["categories"]) {
            for node in try reader.sequence(list, "categories") {
                var id: String?, name: String?, advice: String?, thresholds: Thresholds?, paymentAdvice: String?
                for (key, value) in try reader.mapping(node, "category", allowedKeys: ["id", "name", "advice", "thresholds", "payment_advice"]) {
                    switch key {
                    case "id": id = try reader.nonEmptyString(value, "id")
                    case "name": name = try reader.nonEmptyString(value, "name")
                    case "advice": advice = try reader.nonEmptyString(value, "advice")
                    case "payment_advice": paymentAdvice = try reader.nonEmptyString(value, "payment_advice")
                    default: thresholds = try self.thresholds(value, reader: reader)
                    }
                }
                guard let id, let name, let advice else { throw reader.fail(node, "a category needs id, name and advice") }
                guard RuleFileParser.isValidID(id) else { throw reader.fail(node, "category id '\(id)' may only use a-z, 0-9, _ . -") }
                guard seen.insert(id).inserted else { throw reader.fail(node, "duplicate category id '\(id)'") }
                categories.append(Category(id: id, name: name, advice: advice, thresholds: thresholds, paymentAdvice: paymentAdvice))
            }
        }
        guard !categories.isEmpty else { throw RuleSetError(file: file, message: "no categories") }
        return categories
    }

    func parseVariants(_ text: String, file: String) throws -> (characters: [Unicode.Scalar: Unicode.Scalar], words: [String: [String]]) {
        let reader = YAMLReader(file: file)
        var characters: [Unicode.Scalar: Unicode.Scalar] = [:]
        var words: [String: [String]] = [:]
        guard let root = try reader.compose(text) else { return (characters, words) }
        for (key, value) in try reader.mapping(root, "variants", allowedKeys: ["characters", "words"]) {
            guard case .mapping(let mapping) = value else { throw reader.fail(value, "\(key) must be a mapping") }
            for (canonicalNode, variantsNode) in mapping {
                let canonical = try reader.nonEmptyString(canonicalNode, "\(key) entry")
                let variants = try reader.strings(variantsNode, "variants of \(canonical)")
                if key == "characters" {
                    guard canonical.unicodeScalars.count == 1 else {
                        throw reader.fail(canonicalNode, "'\(canonical)' is not a single character (put words under `words`)")
                    }
                    for variant in variants {
                        guard variant.unicodeScalars.count == 1 else {
                            throw reader.fail(variantsNode, "character variant '\(variant)' is not a single character")
                        }
                        characters[variant.unicodeScalars.first!] = canonical.unicodeScalars.first!
                    }
                } else {
                    words[canonical, default: []].append(contentsOf: variants)
                }
            }
        }
        return (characters, words)
    }

    func parseRules(_ text: String, file: String) throws -> [RuleDefinition] {
        let reader = YAMLReader(file: file)
        guard let root = try reader.compose(text) else { return [] }
        var rules: [RuleDefinition] = []
        for (_, list) in try reader.mapping(root, "rule file", allowedKeys: ["rules"]) {
            for node in try reader.sequence(list, "rules") {
                rules.append(try parseRule(node, file: file))
            }
        }
        return rules
    }

    /// Rule scores: far beyond any threshold, and small enough that the scores of every rule of a set add up
    /// without overflowing.
    static let scores = -1_000_000...1_000_000

    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }

    private func parseRule(_ node: Node, file: String) throws -> RuleDefinition {
        var reader = YAMLReader(file: file)
        guard case .mapping(let mapping) = node else { throw reader.fail(node, "a rule must be a mapping") }
        guard let idNode = mapping["id"] else { throw reader.fail(node, "a rule needs an id") }
        let id = try reader.nonEmptyString(idNode, "id")
        guard RuleFileParser.isValidID(id) else { throw reader.fail(idNode, "rule id '\(id)' may only use a-z, 0-9, _ . -") }
        reader.rule = id
        var rule = RuleDefinition(id: id, category: "", score: 0, description: "", file: file, line: node.mark?.line ?? 0)
        var sawCategory = false, sawScore = false, sawDescription = false
        for (key, value) in try reader.mapping(node, "rule", allowedKeys: RuleFileParser.ruleKeys) {
            switch key {
            case "id": break
            case "category": rule.category = try reader.nonEmptyString(value, "category"); sawCategory = true
            case "score": rule.score = try reader.int(value, "score", in: RuleFileParser.scores); sawScore = true
            case "description": rule.description = try reader.nonEmptyString(value, "description"); sawDescription = true
            case "fields":
                rule.fields = try reader.strings(value, "fields")
                if let unknown = rule.fields?.first(where: { !Document.fieldNames.contains($0) }) {
                    throw reader.fail(value, "fields: unknown field '\(unknown)' (fields are \(Document.fieldNames.joined(separator: ", ")))")
                }
            case "keywords": rule.keywords = try keywords(value, reader: reader)
            case "unless": rule.unless = try reader.strings(value, "unless")
            case "regex": rule.regexes = try reader.strings(value, "regex")
            case "regex_on":
                let target = try reader.string(value, "regex_on")
                guard let parsed = RuleDefinition.RegexTarget(rawValue: target) else {
                    throw reader.fail(value, "regex_on must be folded or compact")
                }
                rule.regexTarget = parsed
            case "entities": rule.entities = try entities(value, reader: reader)
            case "lists": rule.lists = try lists(value, reader: reader)
            case "meta": rule.meta = try meta(value, reader: reader)
            case "transaction": rule.transaction = try transaction(value, reader: reader)
            case "ceiling": rule.ceiling = try reader.int(value, "ceiling", in: 0...RuleFileParser.scores.upperBound)
            case "turns":
                for (_, last) in try reader.mapping(value, "turns", allowedKeys: ["last"]) {
                    rule.closingTurns = try reader.int(last, "turns.last", in: RuleFileParser.closingTurnRange)
                }
                guard rule.closingTurns != nil else { throw reader.fail(value, "turns needs last: N (the closing turns the keywords must be in)") }
            default:
                for (kind, examples) in try reader.mapping(value, "examples", allowedKeys: ["match", "no_match"]) {
                    let parsed = try self.examples(examples, "examples.\(kind)", reader: reader)
                    if kind == "match" { rule.matchExamples = parsed } else { rule.noMatchExamples = parsed }
                }
            }
        }
        guard sawCategory else { throw reader.fail(node, "missing category") }
        guard sawScore else { throw reader.fail(node, "missing score") }
        guard sawDescription else { throw reader.fail(node, "missing description") }
        guard rule.keywords != nil || !rule.regexes.isEmpty || !rule.entities.isEmpty || !rule.lists.isEmpty || rule.meta != nil
            || rule.transaction != nil else {
            throw reader.fail(node, "a rule needs at least one of keywords, regex, entities, lists, meta or transaction")
        }
        guard !rule.matchExamples.isEmpty else { throw reader.fail(node, "a rule needs at least one example under examples.match") }
        if rule.closingTurns != nil {
            // Keyword occurrences and regex matches are placed against the closing turns; an entity, list or meta
            // condition would still hold anywhere in the text.
            guard rule.entities.isEmpty, rule.lists.isEmpty, rule.meta == nil, rule.transaction == nil else {
                throw reader.fail(node, "turns: a rule limited to the closing turns may have only keyword and regex conditions")
            }
        }
        return rule
    }

    /// Examples are message texts, or `{transaction: {memo: …, amount: "5000.00", …}}` mappings.
    private func examples(_ node: Node, _ what: String, reader: YAMLReader) throws -> [Example] {
        let elements: [Node] = if case .scalar = node { [node] } else { try reader.sequence(node, what) }
        return try elements.map { element in
            if case .scalar = element { return .text(try reader.nonEmptyString(element, "an element of \(what)")) }
            let fields = try reader.mapping(element, "an example", allowedKeys: ["transaction"])
            guard let object = RuleFileParser.plainObject(fields[0].value) as? [String: Any] else {
                throw reader.fail(element, "a transaction example must be a mapping")
            }
            do { return .transaction(try TransactionJSON.transaction(from: object)) } catch {
                throw reader.fail(element, "invalid transaction example: \(error)")
            }
        }
    }

    /// A YAML node as the plain values JSON would give (booleans as Bool, every other scalar as String, so
    /// amounts stay decimal strings).
    static func plainObject(_ node: Node) -> Any {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, let flag = node.bool, ["true", "false"].contains(scalar.string) { return flag }
            return scalar.string
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = plainObject(value) }
            return object
        case .sequence(let sequence):
            return sequence.map(plainObject)
        case .alias:
            return ""
        }
    }

    private func keywords(_ node: Node, reader: YAMLReader) throws -> RuleDefinition.Keywords {
        var keywords = RuleDefinition.Keywords()
        for (key, value) in try reader.mapping(node, "keywords", allowedKeys: ["any", "all", "window", "whole_word", "evasive"]) {
            switch key {
            case "any": keywords.any = try reader.strings(value, "keywords.any")
            case "all":
                keywords.all = try reader.sequence(value, "keywords.all").map { try reader.strings($0, "an element of keywords.all") }
            case "window":
                let window = try reader.int(value, "window")
                guard window > 0 else { throw reader.fail(value, "window must be positive") }
                keywords.window = window
            case "whole_word":
                if case .scalar(let scalar) = value, scalar.string == "ascii" {
                    keywords.wholeWord = .ascii
                } else {
                    guard case .scalar = value, let whole = value.bool else {
                        throw reader.fail(value, "whole_word must be true, false or ascii")
                    }
                    keywords.wholeWord = whole ? .dictionary : .anywhere
                }
            default: keywords.evasiveOnly = try reader.bool(value, "evasive")
            }
        }
        guard !keywords.any.isEmpty || !keywords.all.isEmpty else { throw reader.fail(node, "keywords need `any` or `all`") }
        if keywords.window != nil && keywords.all.count < 2 {
            throw reader.fail(node, "window needs at least two elements under `all`")
        }
        return keywords
    }

    private func entities(_ node: Node, reader: YAMLReader) throws -> [RuleDefinition.EntityRequirement] {
        let kinds = Set(Entity.Kind.allCases.map(\.rawValue))
        var result: [RuleDefinition.EntityRequirement] = []
        for (key, value) in try reader.mapping(node, "entities", allowedKeys: kinds) {
            var requirement = RuleDefinition.EntityRequirement(kind: Entity.Kind(rawValue: key)!)
            if case .scalar = value {
                guard try reader.bool(value, "entities.\(key)") else { continue }
            } else {
                for (option, optionValue) in try reader.mapping(value, "entities.\(key)", allowedKeys: ["kinds", "min", "max"]) {
                    switch option {
                    case "kinds":
                        let subkinds = try reader.strings(optionValue, "kinds")
                        let allowed = RuleFileParser.subkinds[requirement.kind] ?? []
                        for subkind in subkinds where !allowed.contains(subkind) {
                            throw reader.fail(optionValue, "\(key) has no kind '\(subkind)' (known: \(allowed.sorted().joined(separator: ", ")))")
                        }
                        requirement.subkinds = Set(subkinds)
                    case "min": requirement.minimum = try reader.number(optionValue, "min")
                    default: requirement.maximum = try reader.number(optionValue, "max")
                    }
                }
                if (requirement.minimum != nil || requirement.maximum != nil) && requirement.kind != .amount {
                    throw reader.fail(value, "min/max apply to amount only")
                }
            }
            result.append(requirement)
        }
        return result
    }

    static let subkinds: [Entity.Kind: Set<String>] = [
        .phone: ["mobile", "landline", "service", "overseas"],
        .url: ["short_link", "ip", "domain"],
    ]

    private func lists(_ node: Node, reader: YAMLReader) throws -> [RuleDefinition.ListRequirement] {
        try reader.sequence(node, "lists").map { element in
            var list: String?, target: RuleDefinition.ListTarget?
            for (key, value) in try reader.mapping(element, "lists entry", allowedKeys: ["list", "entity"]) {
                if key == "list" {
                    list = try reader.nonEmptyString(value, "list")
                } else {
                    let name = try reader.nonEmptyString(value, "entity")
                    guard let parsed = RuleDefinition.ListTarget(name) else {
                        throw reader.fail(value, "unknown entity '\(name)' (an entity type, payee_account or payee_name)")
                    }
                    target = parsed
                }
            }
            guard let list, let target else { throw reader.fail(element, "a lists entry needs list and entity") }
            return RuleDefinition.ListRequirement(list: list, target: target)
        }
    }

    private func transaction(_ node: Node, reader: YAMLReader) throws -> TransactionCondition {
        var condition = TransactionCondition()
        for (key, value) in try reader.mapping(node, "transaction", allowedKeys: [
            "amount", "first_time_payee", "payee_type", "channel", "local_time", "recent_first_time_payee_transfers",
        ]) {
            switch key {
            case "amount":
                for (bound, number) in try reader.mapping(value, "amount", allowedKeys: ["min", "max"]) {
                    if bound == "min" { condition.minimumAmount = try reader.number(number, "min") } else { condition.maximumAmount = try reader.number(number, "max") }
                }
                if let low = condition.minimumAmount, let high = condition.maximumAmount, low > high {
                    func shown(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? "\(Int(x))" : "\(x)" }
                    throw reader.fail(value, "amount: min \(shown(low)) is above max \(shown(high)), so no amount could match")
                }
            case "first_time_payee": condition.firstTimePayee = try reader.bool(value, "first_time_payee")
            case "payee_type":
                let type = try reader.string(value, "payee_type")
                guard let parsed = Transaction.AccountType(rawValue: type) else { throw reader.fail(value, "payee_type must be personal or corporate") }
                condition.payeeType = parsed
            case "channel":
                let channels = try reader.strings(value, "channel")
                if let unknown = channels.first(where: { !Transaction.channels.contains($0) }) {
                    throw reader.fail(value, "channel: unknown channel '\(unknown)' (channels are \(Transaction.channels.joined(separator: ", ")))")
                }
                condition.channels = Set(channels)
            case "local_time":
                var from: Int?, to: Int?
                for (bound, time) in try reader.mapping(value, "local_time", allowedKeys: ["from", "to"]) {
                    let text = try reader.string(time, bound)
                    guard let minutes = RuleFileParser.minutes(text) else { throw reader.fail(time, "\(bound) must be a time of day such as 01:30") }
                    if bound == "from" { from = minutes } else { to = minutes }
                }
                guard let from, let to else { throw reader.fail(value, "local_time needs from and to") }
                guard from != to else {
                    throw reader.fail(value, "local_time: from and to are the same time, so the window [from, to) is empty")
                }
                condition.localTime = (from, to)
            default:
                for (bound, number) in try reader.mapping(value, key, allowedKeys: ["min"]) {
                    _ = bound
                    let n = try reader.int(number, "min")
                    guard n > 0 else { throw reader.fail(number, "min must be positive") }
                    let most = VelocityTracker.defaultMaximumEventsPerPayer
                    guard n <= most else {
                        throw reader.fail(number, "min must be at most \(most): the daemon counts up to \(most) recent transfers per payer, so the rule could never fire")
                    }
                    condition.minimumRecentFirstTimeTransfers = n
                }
            }
        }
        return condition
    }

    /// "01:30" → 90; "24:00" → 1440 (an end of day).
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), parts[1].count == 2, (0...24).contains(h), (0..<60).contains(m),
              h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    /// "+08:00" → 480, "-05:30" → -330, "Z"/"UTC" → 0.
    static func utcOffset(_ text: String) -> Int? {
        if text == "Z" || text == "UTC" { return 0 }
        guard let sign = text.first, sign == "+" || sign == "-", let minutes = minutes(String(text.dropFirst())), minutes <= 14 * 60 else { return nil }
        return sign == "-" ? -minutes : minutes
    }

    private func meta(_ node: Node, reader: YAMLReader) throws -> RuleDefinition.Meta {
        var meta = RuleDefinition.Meta()
        for (key, value) in try reader.mapping(node, "meta", allowedKeys: ["all", "any", "none", "at_least", "of"]) {
            switch key {
            case "all": meta.all = try reader.strings(value, "meta.all")
            case "any": meta.any = try reader.strings(value, "meta.any")
            case "none": meta.none = try reader.strings(value, "meta.none")
            case "at_least":
                let n = try reader.int(value, "at_least")
                guard n > 0 else { throw reader.fail(value, "at_least must be positive") }
                meta.atLeast = n
            default: meta.of = try reader.strings(value, "meta.of")
            }
        }
        if (meta.atLeast == nil) != meta.of.isEmpty { throw reader.fail(node, "at_least and of go together") }
        if meta.all.isEmpty && meta.any.isEmpty && meta.atLeast == nil {
            throw reader.fail(node, "meta needs all, any or at_least/of (none alone cannot make a rule fire)")
        }
        return meta
    }
}
