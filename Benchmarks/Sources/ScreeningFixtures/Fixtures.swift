import Foundation
import FraudScreenCore
import Yams

/// Inputs shared by the screening benchmarks: the shipped rule files, the labelled corpus and a synthetic rule set
/// ten times the size of the shipped one. Everything is built lazily, once per benchmark process.
public final class Fixtures {
    public init() {}

    /// The repository root: `FRAUDSCREEN_ROOT`, else the parent of this benchmark package.
    public let root: String = {
        if let root = ProcessInfo.processInfo.environment["FRAUDSCREEN_ROOT"], !root.isEmpty { return root }
        // #filePath = <root>/Benchmarks/Sources/ScreeningFixtures/Fixtures.swift
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    public var rulesDirectory: String { root + "/rules" }

    /// The `text` of every message in corpus/messages/*.jsonl, fraud and benign, interleaved (`interleaved`).
    public lazy var messages: [String] = {
        let directory = root + "/corpus/messages"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var texts: [String] = []
        for name in names.sorted() where name.hasSuffix(".jsonl") {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let text = object["text"] as? String else {
                    fatalError("\(name): not a JSON object with a text field: \(line.prefix(80))")
                }
                texts.append(text)
            }
        }
        precondition(!texts.isEmpty, "no messages under \(directory)")
        let scalars = texts.reduce(0) { $0 + $1.unicodeScalars.count }
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        report("corpus: \(texts.count) messages from \(directory), mean \(scalars / texts.count) characters / \(bytes / texts.count) UTF-8 bytes")
        return Fixtures.interleaved(texts)
    }()

    /// The messages that fit one SMS: at most 70 characters, the length of one segment of a Chinese (UCS-2) SMS.
    /// The corpus also holds chat logs, call transcripts and relatives' accounts of hundreds of characters; the
    /// issue's target is for SMS-length messages, and this is the corpus's share of them, in the same order.
    public lazy var smsMessages: [String] = {
        let sms = messages.filter { $0.unicodeScalars.count <= Fixtures.smsCharacters }
        let scalars = sms.reduce(0) { $0 + $1.unicodeScalars.count }
        report("SMS-length corpus: \(sms.count) of \(messages.count) messages of at most \(Fixtures.smsCharacters) characters, mean \(scalars / max(sms.count, 1)) characters")
        return sms
    }()

    /// Characters in one segment of an SMS in UCS-2, the encoding of Chinese SMS.
    public static let smsCharacters = 70

    /// Every transaction in corpus/transactions/*.jsonl, as the documents the engine screens.
    public lazy var transactions: [Document] = {
        let directory = root + "/corpus/transactions"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
        var documents: [Document] = []
        for name in names {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                if let transaction = try? TransactionJSON.transaction(from: Data(line)) { documents.append(Document(transaction: transaction)) }
            }
        }
        precondition(!documents.isEmpty, "no transactions under \(directory)")
        report("corpus: \(documents.count) transactions from \(directory)")
        return Fixtures.interleaved(documents)
    }()

    /// `items` in a fixed pseudo-random order. The corpus files hold one category each, so in file order one
    /// 1,000-message iteration screened mostly one kind of message (long call transcripts, or short bank
    /// alerts), and the spread of per-iteration figures showed the corpus's layout instead of the machine
    /// (2.6x between fastest and slowest iteration). Traffic arrives mixed; interleaved, every iteration is a
    /// sample of the whole corpus and its median is the corpus's rate. The seed is fixed: runs are comparable.
    static func interleaved<T>(_ items: [T]) -> [T] {
        var items = items
        var state: UInt64 = 0x5EED_F5A1
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            // SplitMix64: one step per swap, the same sequence on every platform.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            items.swapAt(i, Int(z % UInt64(i + 1)))
        }
        return items
    }

    /// The shipped rule files, keyed by path relative to the rule-set root (as `RuleSetLoader.compile` wants).
    public lazy var shippedFiles: [String: String] = {
        var files: [String: String] = [:]
        let manager = FileManager.default
        for top in ["ruleset.yaml", "categories.yaml", "variants.yaml"] {
            if let data = manager.contents(atPath: rulesDirectory + "/" + top) { files[top] = String(decoding: data, as: UTF8.self) }
        }
        for (sub, suffixes) in [("rules.d", [".yaml", ".yml"]), ("lists", [".txt"])] {
            let names = (try? manager.contentsOfDirectory(atPath: rulesDirectory + "/" + sub)) ?? []
            for name in names where suffixes.contains(where: name.hasSuffix) && !name.hasPrefix(".") {
                if let data = manager.contents(atPath: rulesDirectory + "/" + sub + "/" + name) {
                    files[sub + "/" + name] = String(decoding: data, as: UTF8.self)
                }
            }
        }
        return files
    }()

    public lazy var shippedRuleSet: RuleSet = {
        do {
            let ruleSet = try RuleSetLoader.load(directory: rulesDirectory)
            report("shipped rules: \(ruleSet.rules.count) rules, \(ruleSet.keywordCount) keywords, \(ruleSet.regexCount) regexes (version \(ruleSet.version))")
            reportAutomaton(of: ruleSet, named: "shipped rules")
            return ruleSet
        } catch {
            fatalError("cannot load \(rulesDirectory): \(error)")
        }
    }()

    /// Ten copies of every rules.d file (copy 0 is the original; copies 1…9 rename every rule id to `cN.<id>`,
    /// including meta references and `prefix.*` patterns, and append a two-character suffix to every keyword
    /// and regex, so they stay plausible Chinese and partially match), plus generated regex rules with required
    /// literals.
    public lazy var syntheticFiles: [String: String] = {
        do {
            return try SyntheticRuleSet.build(from: shippedFiles, copies: SyntheticRuleSet.copies)
        } catch {
            fatalError("cannot build the synthetic rule set: \(error)")
        }
    }()

    public lazy var syntheticRuleSet: RuleSet = {
        do {
            let ruleSet = try RuleSetLoader.compile(files: syntheticFiles)
            report("synthetic rules: \(ruleSet.rules.count) rules, \(ruleSet.keywordCount) keywords, \(ruleSet.regexCount) regexes "
                   + "(minimum \(SyntheticRuleSet.minimumKeywords) keywords, \(SyntheticRuleSet.minimumRegexes) regexes)")
            reportAutomaton(of: ruleSet, named: "synthetic rules")
            precondition(ruleSet.keywordCount >= SyntheticRuleSet.minimumKeywords,
                         "synthetic rule set has only \(ruleSet.keywordCount) keywords")
            precondition(ruleSet.regexCount >= SyntheticRuleSet.minimumRegexes,
                         "synthetic rule set has only \(ruleSet.regexCount) regexes")
            return ruleSet
        } catch {
            fatalError("cannot compile the synthetic rule set: \(error)")
        }
    }()

    /// Screens the whole corpus once and prints how many messages got each decision (a sanity check that the
    /// rule set does real work: the corpus is about half fraud).
    public func summarize(_ ruleSet: RuleSet, name: String) {
        let screener = Screener(ruleSet: ruleSet)
        var decisions: [Verdict.Decision: Int] = [:]
        var hits = 0
        for message in messages {
            let verdict = screener.screen(message)
            decisions[verdict.decision, default: 0] += 1
            hits += verdict.hits.count
        }
        let counts = Verdict.Decision.allCases.map { "\($0.rawValue) \(decisions[$0] ?? 0)" }.joined(separator: ", ")
        report("\(name): \(counts); \(String(format: "%.2f", Double(hits) / Double(messages.count))) rule hits per message")
    }
}

/// The keyword automaton's size, which decides how much of it stays in the core's cache.
func reportAutomaton(of ruleSet: RuleSet, named name: String) {
    let automaton = ruleSet.automaton
    report("\(name)' automaton: \(automaton.stateCount) states, \(automaton.transitionCount) transitions in rows, "
           + "\(automaton.byteCount / 1024) KB (\(automaton.rowEntryBytes)-byte entries)")
}

/// Progress and sanity output goes to standard error so it never mixes with the benchmark tool's own output.
func report(_ line: String) {
    FileHandle.standardError.write(Data(("[fixtures] " + line + "\n").utf8))
}

enum SyntheticRuleSet {
    static let copies = 10
    static let minimumKeywords = 2_000
    static let minimumRegexes = 300
    /// Generated regex rules on top of the copies (more if the copies alone stay under `minimumRegexes`).
    static let generatedRegexes = 100

    /// Suffixes for copies 1…9: common words of the fraud vocabulary, so a perturbed keyword (`刷单` → `刷单平台`)
    /// walks deep into the automaton on the original and sometimes matches outright.
    static let suffixes = ["平台", "客服", "专员", "任务", "链接", "账户", "资金", "额度", "通知", "中心", "官方", "渠道"]

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func build(from shipped: [String: String], copies: Int) throws -> [String: String] {
        precondition(copies >= 1 && copies - 1 <= suffixes.count)
        var files = shipped.filter { !$0.key.hasPrefix("rules.d/") }
        var ids: Set<String> = []
        var hanKeywords: [String] = []
        var regexCount = 0
        let ruleFiles = shipped.keys.filter { $0.hasPrefix("rules.d/") }.sorted()
        for path in ruleFiles {
            let root = try node(shipped[path]!, path)
            for rule in rules(of: root) {
                if let id = rule["id"]?.string { ids.insert(id) }
                for keyword in rule["keywords"]?["any"]?.sequence ?? [] {
                    if let text = keyword.string, (2...6).contains(text.count), text.unicodeScalars.allSatisfy(isHan) {
                        hanKeywords.append(text)
                    }
                }
                switch rule["regex"] {
                case .some(.sequence(let patterns)): regexCount += patterns.count
                case .some(.scalar): regexCount += 1
                default: break
                }
            }
        }
        guard !hanKeywords.isEmpty else { throw Failure(description: "no Chinese keywords in the shipped rules") }

        for path in ruleFiles {
            files[path] = shipped[path]
            let root = try node(shipped[path]!, path)
            let name = String(path.dropFirst("rules.d/".count))
            for copy in 1..<copies {
                let renamed = transform(root, copy: copy, ids: ids)
                files["rules.d/c\(copy)-" + name] = try serialize(node: renamed, allowUnicode: true)
            }
        }

        // Generated regex rules, each with a required literal (a shipped keyword) outside its groups, so the engine
        // runs it only when the automaton saw that literal. Spread over the categories.
        let categories = try node(shipped["categories.yaml"] ?? "", "categories.yaml")["categories"]?.sequence?
            .compactMap { $0["id"]?.string } ?? []
        guard !categories.isEmpty else { throw Failure(description: "no categories") }
        let count = max(generatedRegexes, minimumRegexes - regexCount * copies)
        // Every template keeps everything but the literal inside groups, classes or quantified atoms.
        let templates: [(pattern: (String) -> String, example: (String) -> String)] = [
            ({ "\($0).{0,12}(转账|汇款|充值|支付|打款)" }, { "\($0)，请先转账" }),
            ({ "(请|需要|必须|马上|立即).{0,8}\($0)" }, { "请马上\($0)" }),
            ({ "\($0)[^。！!？?\\n]{0,20}(\\d{4,}|[a-z0-9-]+[.][a-z]{2,})" }, { "\($0)详见 a-b.top" }),
            ({ "(您|你)(的|们).{0,6}\($0).{0,10}(冻结|异常|失效|到期|逾期)" }, { "您的\($0)已冻结" }),
            ({ "\($0).{0,30}(链接|网址|app|客服|群)" }, { "\($0)请联系客服" }),
        ]
        var generated = "rules:\n"
        var seen: Set<String> = []
        var index = 0
        var k = 0
        while index < count {
            let literal = hanKeywords[(k * 7) % hanKeywords.count]
            let template = templates[k % templates.count]
            k += 1
            let pattern = template.pattern(literal)
            guard seen.insert(pattern).inserted else {
                if k > count * 20 { throw Failure(description: "cannot generate \(count) distinct regexes") }
                continue
            }
            guard CompiledRegex.requiredLiteral(of: pattern) == literal else {
                throw Failure(description: "generated regex '\(pattern)' does not require '\(literal)'")
            }
            generated += """
              - id: generated.regex_\(index)
                category: \(categories[index % categories.count])
                score: 5
                description: 生成的正则规则 \(index)
                regex: \(quoted(pattern))
                examples:
                  match: [\(quoted(template.example(literal)))]

            """
            index += 1
        }
        files["rules.d/zz-generated-regexes.yaml"] = generated
        return files
    }

    private static func isHan(_ s: Unicode.Scalar) -> Bool { s.properties.isIdeographic }

    private static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    private static func node(_ text: String, _ path: String) throws -> Node {
        guard let root = try Yams.compose(yaml: text) else { throw Failure(description: "\(path): empty YAML") }
        return root
    }

    private static func rules(of root: Node) -> [Node] { root["rules"]?.sequence.map(Array.init) ?? [] }

    /// One renamed, perturbed copy of a rules.d file.
    private static func transform(_ root: Node, copy: Int, ids: Set<String>) -> Node {
        let suffix = suffixes[copy - 1]
        func rename(_ node: Node) -> Node {
            guard let id = node.string else { return node }
            if ids.contains(id) || id.hasSuffix("*") { return Node("c\(copy)." + id, .implicit, .plain) }
            return node
        }
        func perturb(_ node: Node) -> Node {
            switch node {
            case .scalar(let scalar): return Node(scalar.string + suffix, .implicit, .singleQuoted)
            case .sequence(let sequence): return Node(sequence.map(perturb), .implicit, .flow)
            default: return node
            }
        }
        // A regex gets the suffix after the whole pattern: the copy is a different rule that needs one more
        // literal, as keyword copies are, rather than the same regex firing ten times on the same text.
        func perturbRegex(_ node: Node) -> Node {
            switch node {
            case .scalar(let scalar): return Node("(?:" + scalar.string + ")" + suffix, .implicit, .singleQuoted)
            case .sequence(let sequence): return Node(sequence.map(perturbRegex), .implicit, .flow)
            default: return node
            }
        }
        func mapValues(_ node: Node, _ body: (String, Node) -> Node) -> Node {
            guard case .mapping(let mapping) = node else { return node }
            return Node(mapping.map { key, value in (key, body(key.string ?? "", value)) }, mapping.tag, mapping.style)
        }
        let rules = rules(of: root).map { rule in
            mapValues(rule) { key, value in
                switch key {
                case "id": return rename(value)
                case "unless": return perturb(value)
                case "regex": return perturbRegex(value)
                case "keywords":
                    return mapValues(value) { key, value in key == "any" || key == "all" ? perturb(value) : value }
                case "meta":
                    return mapValues(value) { key, value in
                        guard key != "at_least", case .sequence(let sequence) = value else { return value }
                        return Node(sequence.map(rename), .implicit, .flow)
                    }
                default: return value
                }
            }
        }
        return Node([(Node("rules"), Node(rules))])
    }
}
