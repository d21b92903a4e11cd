import Foundation

/// Loads a rule-set directory into a `RuleSet`: all of it or nothing, with errors that name file, line and
/// rule. See docs/RULES.md for the layout and format.
public enum RuleSetLoader {
    /// Loads and compiles the rule set in `directory`.
    public static func load(directory: String) throws -> RuleSet {
        let files = try readFiles(directory)
        return try compile(files: files)
    }

    /// Compiles a rule set from file contents keyed by path relative to the rule-set root (used by `load`
    /// and by tests and tools that build rule sets in memory).
    public static func compile(files: [String: String]) throws -> RuleSet {
        try compile(files: files, anchorsRegexes: true)
    }

    /// `compile(files:)`, with anchored regex matching switchable for tests that compare it with scanning.
    static func compile(files: [String: String], anchorsRegexes: Bool) throws -> RuleSet {
        let parser = RuleFileParser()
        let settings = try files["ruleset.yaml"].map { try parser.parseSettings($0, file: "ruleset.yaml") } ?? RuleSetSettings()
        guard let categoriesText = files["categories.yaml"] else {
            throw RuleSetError(file: "categories.yaml", message: "missing: a rule set needs its categories")
        }
        let categories = try parser.parseCategories(categoriesText, file: "categories.yaml")
        let variants = try files["variants.yaml"].map { try parser.parseVariants($0, file: "variants.yaml") } ?? (characters: [:], words: [:])

        var definitions: [RuleDefinition] = []
        for path in files.keys.sorted() where path.hasPrefix("rules.d/") && (path.hasSuffix(".yaml") || path.hasSuffix(".yml")) {
            let rules = try parser.parseRules(files[path]!, file: path)
            // A deploy caught half-way (a file emptied or cut before its first rule) must not replace the rules
            // that serve: a file without rules is refused, and deleted when that is what is meant.
            guard !rules.isEmpty else {
                throw RuleSetError(file: path, message: "defines no rules (an empty or cut-off file?); delete it if it is meant to be empty")
            }
            definitions.append(contentsOf: rules)
        }
        guard !definitions.isEmpty else {
            throw RuleSetError(file: "rules.d", message: "no rules: a rule set without rules would allow every message")
        }
        var lists: [String: FraudList] = [:]
        for path in files.keys.sorted() where path.hasPrefix("lists/") && path.hasSuffix(".txt") {
            let name = String(path.dropFirst("lists/".count).dropLast(".txt".count))
            lists[name] = FraudList(name: name, contents: files[path]!)
        }

        var hash = SHA256()
        for path in files.keys.sorted() {
            hash.update(path.utf8); hash.update([0])
            hash.update(files[path]!.utf8); hash.update([0])
        }
        let version = String(SHA256.hex(hash.finalize()).prefix(16))

        var compiler = RuleSetCompiler(settings: settings, categories: categories, lists: lists,
                                       foldTable: FoldTable.base.applying(characterVariants: variants.characters),
                                       wordVariants: variants.words, anchorsRegexes: anchorsRegexes)
        return try compiler.compile(definitions, version: version)
    }

    static func readFiles(_ directory: String) throws -> [String: String] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw RuleSetError(file: directory, message: "rules directory does not exist")
        }
        guard isDirectory.boolValue else { throw RuleSetError(file: directory, message: "not a directory") }
        var files: [String: String] = [:]
        for top in ["ruleset.yaml", "categories.yaml", "variants.yaml"] {
            let path = directory + "/" + top
            if manager.fileExists(atPath: path) { files[top] = try read(path, relative: top) }
        }
        for (sub, suffixes) in [("rules.d", [".yaml", ".yml"]), ("lists", [".txt"])] {
            let folder = directory + "/" + sub
            guard manager.fileExists(atPath: folder) else { continue }
            let names: [String]
            do { names = try manager.contentsOfDirectory(atPath: folder) } catch {
                throw RuleSetError(file: sub, message: "cannot list directory: \(error.localizedDescription)")
            }
            for name in names.sorted() where suffixes.contains(where: name.hasSuffix) && !name.hasPrefix(".") {
                files[sub + "/" + name] = try read(folder + "/" + name, relative: sub + "/" + name)
            }
        }
        return files
    }

    /// Largest rule file and list file read: far above any real one (the shipped rules are a few hundred KB;
    /// a million accounts are 20 MB), far below what would strain the daemon while a reload holds both sets.
    static let maxRuleFileBytes = 16 << 20
    static let maxListFileBytes = 128 << 20

    private static func read(_ path: String, relative: String) throws -> String {
        let limit = relative.hasPrefix("lists/") ? maxListFileBytes : maxRuleFileBytes
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, Int(status.st_size) > limit {
            throw RuleSetError(file: relative, message: "\(status.st_size) bytes, more than the \(limit >> 20) MiB a \(relative.hasPrefix("lists/") ? "list" : "rule") file may hold")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuleSetError(file: relative, message: "cannot read file")
        }
        guard let text = String(validatingUTF8Data: data) else {
            throw RuleSetError(file: relative, line: firstInvalidUTF8Line(data), message: "not valid UTF-8 (saved in another encoding?)")
        }
        return text
    }

    /// The line of the first byte that is not UTF-8.
    private static func firstInvalidUTF8Line(_ data: Data) -> Int {
        var iterator = data.makeIterator(), decoder = UTF8(), line = 1
        while case .scalarValue(let scalar) = decoder.decode(&iterator) { if scalar == "\n" { line += 1 } }
        return line
    }
}

extension String {
    init?(validatingUTF8Data data: Data) {
        var valid = true
        let text = String(decoding: data, as: UTF8.self)
        // A round trip that changes the bytes means some were replaced: the input was not UTF-8.
        if text.utf8.count != data.count || !text.utf8.elementsEqual(data) { valid = false }
        guard valid else { return nil }
        self = text
    }
}

/// Turns parsed definitions into a `RuleSet`, checking every cross-reference.
struct RuleSetCompiler {
    let settings: RuleSetSettings
    let categories: [Category]
    let lists: [String: FraudList]
    let foldTable: FoldTable
    let wordVariants: [String: [String]]
    /// Whether regexes with known first literals run anchored where those were found (see `startKeywords`);
    /// off only to check that both ways find the same matches.
    let anchorsRegexes: Bool

    private var keywordIDs: [String: Int32] = [:]
    private var keywordTexts: [String] = []
    private var warnings: [String] = []

    init(settings: RuleSetSettings, categories: [Category], lists: [String: FraudList], foldTable: FoldTable,
         wordVariants: [String: [String]], anchorsRegexes: Bool = true) {
        self.settings = settings
        self.anchorsRegexes = anchorsRegexes
        self.categories = categories
        self.lists = lists
        self.foldTable = foldTable
        self.wordVariants = wordVariants
    }

    private mutating func keyword(_ raw: String, of rule: RuleDefinition, fromRegex: Bool = false) throws -> Int32 {
        let folded = foldTable.fold(raw, compact: true)
        guard !folded.isEmpty else {
            throw RuleSetError(file: rule.file, line: rule.line, rule: rule.id, message: "keyword '\(raw)' has no letters or digits")
        }
        // Regexes are caseless, so only a literal that folding changes otherwise is worth a warning.
        if foldTable.fold(raw, compact: false) != (fromRegex ? raw.lowercased() : raw) {
            warnings.append("\(rule.file):\(rule.line): rule \(rule.id): keyword '\(raw)' is matched as '\(folded)' (write keywords folded)")
        }
        if let id = keywordIDs[folded] { return id }
        let id = Int32(keywordTexts.count)
        keywordIDs[folded] = id
        keywordTexts.append(folded)
        return id
    }

    /// The keywords every match of `pattern` starts with one of, when the automaton is sure to report each
    /// place such a match could start: every literal is already folded (the text the regex reads is) and
    /// has no case variants outside ASCII that caseless matching would accept. Nil otherwise: the regex scans.
    private mutating func startKeywords(of pattern: String, _ rule: RuleDefinition) throws -> [Int32]? {
        guard let prefixes = CompiledRegex.requiredPrefixes(of: pattern), !prefixes.isEmpty else { return nil }
        for literal in prefixes {
            let folded = foldTable.fold(literal, compact: false)
            guard folded == literal.lowercased(), foldTable.fold(literal, compact: true) == folded,
                  literal.unicodeScalars.allSatisfy({ $0.isASCII || !$0.properties.changesWhenCaseMapped })
            else { return nil }
        }
        return try prefixes.map { try keyword($0, of: rule, fromRegex: true) }
    }

    mutating func compile(_ definitions: [RuleDefinition], version: String) throws -> RuleSet {
        let categoryIndex = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1.id, $0) })
        var ruleIndex: [String: Int] = [:]
        for (i, rule) in definitions.enumerated() {
            if let previous = ruleIndex[rule.id] {
                let other = definitions[previous]
                throw RuleSetError(file: rule.file, line: rule.line, rule: rule.id,
                                   message: "duplicate rule id (first defined at \(other.file):\(other.line))")
            }
            ruleIndex[rule.id] = i
        }

        var compiled: [CompiledRule] = []
        for rule in definitions {
            func fail(_ message: String) -> RuleSetError {
                RuleSetError(file: rule.file, line: rule.line, rule: rule.id, message: message)
            }
            var category: Int? = nil
            if rule.category != "*" {
                guard let index = categoryIndex[rule.category] else {
                    throw fail("unknown category '\(rule.category)' (known: \(categories.map(\.id).joined(separator: ", ")))")
                }
                category = index
            }
            let any = try rule.keywords?.any.map { try keyword($0, of: rule) } ?? []
            let all = try rule.keywords?.all.map { try $0.map { try keyword($0, of: rule) } } ?? []
            let unless = try rule.unless.map { try keyword($0, of: rule) }
            var regexes: [CompiledRegex] = []
            var gates: [[[[Int32]]]] = []
            var regexStarts: [[Int32]?] = []
            for pattern in rule.regexes {
                let starts = try anchorsRegexes ? startKeywords(of: pattern, rule) : nil
                do { regexes.append(try CompiledRegex(pattern, anchoredVariant: starts != nil)) } catch let error as CompiledRegex.CompileError {
                    throw fail("regex '\(pattern)': \(error)")
                }
                if regexes.last!.matchesEmptyText {
                    throw fail("regex '\(pattern)' matches any text, even an empty one (everything in it is optional): "
                        + "the rule would fire on every message with empty evidence; make at least one character required")
                }
                regexStarts.append(starts)
                if let group = CompiledRegex.nestedRepeat(in: pattern) {
                    warnings.append("\(rule.file):\(rule.line): rule \(rule.id): regex '\(pattern)': the group '\(group)' repeats "
                        + "and repeats inside: on a long text that almost matches it can backtrack for seconds (the match limit "
                        + "counts per starting position); make the inner repeat possessive (a++) or the group atomic ((?>…))")
                }
                // The compact text holds only kept characters: a pattern there that needs another never matches.
                let lost = rule.regexTarget == .compact
                    ? CompiledRegex.plainCharacters(of: pattern).filter { FoldTable.classify($0) != .keep } : []
                if !lost.isEmpty {
                    let listed = lost.reduce(into: [Unicode.Scalar]()) { if !$0.contains($1) { $0.append($1) } }
                        .map { "'\($0)'" }.joined(separator: ", ")
                    warnings.append("\(rule.file):\(rule.line): rule \(rule.id): regex '\(pattern)' runs on the compact text, "
                        + "which never holds \(listed) (punctuation, spaces and symbols are dropped there): what needs them "
                        + "never matches")
                }
                // A set with a literal that folds to nothing in the compact text (punctuation) cannot gate; an
                // alternative left with no set makes the whole regex ungated.
                var alternatives: [[[Int32]]] = []
                for alternative in CompiledRegex.requiredLiteralAlternatives(of: pattern) ?? [] {
                    let sets = alternative.filter { set in !set.contains(where: { foldTable.fold($0, compact: true).isEmpty }) }
                    if sets.isEmpty { alternatives = []; break }
                    alternatives.append(try sets.map { set in try set.map { try keyword($0, of: rule, fromRegex: true) } })
                }
                gates.append(alternatives)
            }
            var ruleLists: [(FraudList, Entity.Kind)] = []
            var payeeLists: [(list: FraudList, target: RuleDefinition.ListTarget)] = []
            for requirement in rule.lists {
                guard let list = lists[requirement.list] else {
                    throw fail("unknown list '\(requirement.list)' (expected lists/\(requirement.list).txt)")
                }
                if case .entity(let kind) = requirement.target { ruleLists.append((list, kind)) } else { payeeLists.append((list, requirement.target)) }
            }
            var entityGates: [[Int32]] = []
            for kind in Set(rule.entities.map(\.kind) + ruleLists.map(\.1)) {
                for list in EntityExtractor.keywordPrerequisites(of: kind) {
                    let ids = try list.map { try keyword($0, of: rule, fromRegex: true) }
                    if !entityGates.contains(ids) { entityGates.append(ids) }
                }
            }
            var meta: CompiledMeta?
            if let m = rule.meta {
                func resolve(_ names: [String]) throws -> [Int32] {
                    var result: [Int32] = []
                    for name in names {
                        if name.hasSuffix("*") {
                            let prefix = String(name.dropLast())
                            let matches = definitions.enumerated().filter { $0.element.id.hasPrefix(prefix) && $0.element.id != rule.id }
                            guard !matches.isEmpty else { throw fail("meta pattern '\(name)' names no rule") }
                            result.append(contentsOf: matches.map { Int32($0.offset) })
                        } else {
                            guard let index = ruleIndex[name] else { throw fail("meta names unknown rule '\(name)'") }
                            guard name != rule.id else { throw fail("meta names the rule itself") }
                            result.append(Int32(index))
                        }
                    }
                    return result
                }
                let of = try resolve(m.of)
                if let n = m.atLeast, n > of.count { throw fail("at_least \(n) of only \(of.count) rules can never fire") }
                meta = CompiledMeta(all: try resolve(m.all), any: try resolve(m.any), none: try resolve(m.none),
                                    atLeast: m.atLeast ?? 0, of: of)
            }
            compiled.append(CompiledRule(
                definition: rule, categoryIndex: category, fields: rule.fields.map(Set.init), anyKeywords: any,
                allGroups: all, window: rule.keywords?.window, wholeWord: rule.keywords?.wholeWord ?? .anywhere,
                evasiveOnly: rule.keywords?.evasiveOnly ?? false, unlessKeywords: unless, regexes: regexes,
                regexGates: gates, regexStarts: regexStarts, regexOnCompact: rule.regexTarget == .compact, entities: rule.entities,
                entityGates: entityGates.sorted { $0.lexicographicallyPrecedes($1) },
                lists: ruleLists.map { (list: $0.0, entity: $0.1) }, payeeLists: payeeLists, transaction: rule.transaction,
                meta: meta))
        }

        let metaOrder = try orderMeta(compiled)

        // Anchors: a rule is evaluated on a field only when a keyword it cannot fire without was seen.
        var anchors = [[Int32]](repeating: [], count: keywordTexts.count)
        var unanchored: [Int32] = []
        // Rules about the transaction alone are evaluated once per document.
        let documentRules = compiled.indices.filter {
            !compiled[$0].hasFieldConditions && compiled[$0].hasDocumentConditions && compiled[$0].meta == nil
        }.map { Int32($0) }
        // How many rules' keyword conditions name each keyword. A word many rules need (平台, 账户, app, 点击)
        // is a common word of the texts they screen, so a set of such words makes a poor anchor however short
        // the set is; rules naming the word only count once each.
        var uses = [Int](repeating: 0, count: keywordTexts.count)
        for rule in compiled {
            let sets = [rule.anyKeywords, rule.unlessKeywords] + rule.allGroups + rule.entityGates
                + rule.regexGates.flatMap { $0.flatMap { $0 } }
            for keyword in Set(sets.joined()) { uses[Int(keyword)] += 1 }
        }
        for (i, rule) in compiled.enumerated() where rule.hasFieldConditions {
            // Any keyword set the rule cannot fire without will do as its anchor: the `any` list, each `all`
            // element, each keyword list its entities need, or (when every regex is gated) one literal set per
            // regex. The fewer texts an anchor occurs in, the fewer candidates to test, so take the
            // rarest-looking one: longest shortest keyword (one or two characters occur everywhere), then the
            // fewest uses of its keywords by all rules, then fewest keywords.
            func shortest(_ set: [Int32]) -> Int { set.map { keywordTexts[Int($0)].unicodeScalars.count }.min() ?? 0 }
            func popularity(_ set: [Int32]) -> Int { set.reduce(0) { $0 + uses[Int($1)] } }
            func rarer(_ a: [Int32], _ b: [Int32]) -> Bool {
                if shortest(a) != shortest(b) { return shortest(a) > shortest(b) }
                if popularity(a) != popularity(b) { return popularity(a) < popularity(b) }
                return a.count < b.count
            }
            var choices: [[Int32]] = rule.allGroups + rule.entityGates
            if !rule.anyKeywords.isEmpty { choices.append(rule.anyKeywords) }
            if !rule.regexes.isEmpty, rule.regexGates.allSatisfy({ !$0.isEmpty }) {
                // Any one regex (and any one alternative of it) fires the rule, so the anchor is one set per
                // alternative of every regex, together.
                choices.append(rule.regexGates.flatMap { alternatives in alternatives.flatMap { sets in sets.min(by: rarer)! } })
            }
            guard let anchorSet = choices.min(by: rarer) else {
                unanchored.append(Int32(i))
                continue
            }
            for keyword in Set(anchorSet) { anchors[Int(keyword)].append(Int32(i)) }
        }

        // Automaton patterns: each keyword, plus its spellings through word variants.
        var patterns: [[Unicode.Scalar]] = []
        var patternKeywords: [PatternKeyword] = []
        let foldedVariants = wordVariants.map { canonical, variants in
            (foldTable.fold(canonical, compact: true), variants.map { foldTable.fold($0, compact: true) }.filter { !$0.isEmpty })
        }
        for (id, text) in keywordTexts.enumerated() {
            patterns.append(Array(text.unicodeScalars)); patternKeywords.append(PatternKeyword(keyword: Int32(id), isVariant: false))
            var seen: Set<String> = [text]
            for (canonical, variants) in foldedVariants where !canonical.isEmpty && text.contains(canonical) {
                for variant in variants {
                    let spelled = text.replacingOccurrences(of: canonical, with: variant)
                    guard seen.insert(spelled).inserted else { continue }
                    patterns.append(Array(spelled.unicodeScalars)); patternKeywords.append(PatternKeyword(keyword: Int32(id), isVariant: true))
                }
            }
        }

        let automaton: AhoCorasick
        do {
            automaton = try AhoCorasick(patterns: patterns)
        } catch {
            throw RuleSetError(file: ".", message: error.description)
        }
        let shortLinks = lists["short_link_hosts"].map { EntityExtractor.defaultShortLinkHosts.union($0.textEntries) }
            ?? EntityExtractor.defaultShortLinkHosts
        return RuleSet(version: version, settings: settings, categories: categories, rules: compiled, warnings: warnings,
                       foldTable: foldTable, automaton: automaton, patternKeywords: patternKeywords,
                       keywordTexts: keywordTexts, keywordAnchors: anchors,
                       unanchoredRules: unanchored, documentRules: documentRules, metaOrder: metaOrder,
                       entityExtractor: EntityExtractor(shortLinkHosts: shortLinks))
    }

    /// Meta rules in an order where every meta rule comes after the meta rules it names; cycles are errors.
    private func orderMeta(_ rules: [CompiledRule]) throws -> [Int32] {
        var state = [UInt8](repeating: 0, count: rules.count)  // 0 new, 1 visiting, 2 done
        var order: [Int32] = []
        func visit(_ i: Int, path: [String]) throws {
            guard let meta = rules[i].meta else { return }
            if state[i] == 2 { return }
            if state[i] == 1 {
                let rule = rules[i].definition
                throw RuleSetError(file: rule.file, line: rule.line, rule: rule.id,
                                   message: "meta rules form a cycle: \((path + [rule.id]).joined(separator: " → "))")
            }
            state[i] = 1
            for dependency in meta.all + meta.any + meta.none + meta.of {
                try visit(Int(dependency), path: path + [rules[i].id])
            }
            state[i] = 2
            order.append(Int32(i))
        }
        for i in rules.indices { try visit(i, path: []) }
        return order
    }
}
