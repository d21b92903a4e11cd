import Yams

/// Reads typed values out of a composed YAML node, turning every mistake into a `RuleSetError` that points
/// at the file and line. Unknown keys are errors: a misspelt condition must not silently do nothing.
struct YAMLReader {
    let file: String
    var rule: String?

    func compose(_ text: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw RuleSetError(file: file, line: YAMLReader.line(of: error), message: "invalid YAML: \(YAMLReader.summary(of: error))")
        } catch {
            throw RuleSetError(file: file, message: "invalid YAML: \(error)")
        }
    }

    func fail(_ node: Node?, _ message: String) -> RuleSetError {
        RuleSetError(file: file, line: node?.mark?.line, rule: rule, message: message)
    }

    func mapping(_ node: Node, _ what: String, allowedKeys: Set<String>) throws -> [(key: String, value: Node)] {
        guard case .mapping(let mapping) = node else { throw fail(node, "\(what) must be a mapping") }
        var result: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw fail(key, "\(what): keys must be strings") }
            guard allowedKeys.contains(name) else {
                throw fail(key, "\(what): unknown key '\(name)' (expected one of: \(allowedKeys.sorted().joined(separator: ", ")))")
            }
            result.append((name, value))
        }
        return result
    }

    func string(_ node: Node, _ what: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, "\(what) must be a string") }
        return scalar.string
    }

    func nonEmptyString(_ node: Node, _ what: String) throws -> String {
        let value = try string(node, what)
        guard !value.isEmpty else { throw fail(node, "\(what) must not be empty") }
        return value
    }

    func int(_ node: Node, _ what: String) throws -> Int {
        guard case .scalar = node, let value = node.int else { throw fail(node, "\(what) must be an integer") }
        return value
    }

    /// An integer that must lie in `range` (values beyond it would overflow what the engine stores them in).
    func int(_ node: Node, _ what: String, in range: ClosedRange<Int>) throws -> Int {
        let value = try int(node, what)
        guard range.contains(value) else {
            throw fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        return value
    }

    func number(_ node: Node, _ what: String) throws -> Double {
        guard case .scalar = node, let value = node.float else { throw fail(node, "\(what) must be a number") }
        return value
    }

    func bool(_ node: Node, _ what: String) throws -> Bool {
        guard case .scalar = node, let value = node.bool else { throw fail(node, "\(what) must be true or false") }
        return value
    }

    func sequence(_ node: Node, _ what: String) throws -> [Node] {
        guard case .sequence(let sequence) = node else { throw fail(node, "\(what) must be a list") }
        return Array(sequence)
    }

    /// A list of strings, or a single string standing for a list of one.
    func strings(_ node: Node, _ what: String) throws -> [String] {
        if case .scalar = node { return [try nonEmptyString(node, what)] }
        return try sequence(node, what).map { try nonEmptyString($0, "an element of \(what)") }
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}
