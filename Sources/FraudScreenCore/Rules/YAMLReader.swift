import Foundation
import Yams

/// Reads typed values out of a composed YAML node, turning every mistake into a `RuleSetError` that points
/// at the file and line. Unknown keys are errors: a misspelt condition must not silently do nothing.
struct YAMLReader {
    let file: String
    var rule: String?

    func compose(_ text: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            // Yams marks the first of the duplicated keys and prints the whole file; the author needs the second.
            let found = YAMLReader.duplicate(duplicates, inMappingAt: context.mark, of: text)
            throw RuleSetError(file: file, line: found?.line ?? context.mark.line, rule: found?.rule,
                               message: "duplicate key '\(found?.key ?? duplicates.sorted().joined(separator: "', '"))' (keys must be unique in a mapping)")
        } catch let error as YamlError {
            throw RuleSetError(file: file, line: YAMLReader.line(of: error, in: text), message: "invalid YAML: \(YAMLReader.summary(of: error))")
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

    static func line(of error: YamlError, in text: String) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .reader(_, let offset?, _, _):
            // The reader counts bytes of the text it was given.
            return text.utf8.prefix(offset).reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        default:
            return nil
        }
    }

    static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        case .reader(let problem, _, let value, _):
            return value >= 0 ? "\(problem) (U+\(String(value, radix: 16, uppercase: true)))" : problem
        default:
            return "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
    }

    /// Where the second of a duplicated key is, in the block mapping whose first duplicated key is at `mark`:
    /// its line, the key, and the rule it is in (`rule(around:)`). nil when the mapping is not a plain block
    /// mapping (a flow mapping `{a: 1, a: 2}` is reported at its start).
    static func duplicate(_ keys: [String], inMappingAt mark: Mark, of text: String) -> (line: Int, key: String, rule: String?)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let column = mark.column - 1
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        var seen: Set<String> = [], found: (line: Int, key: String)?
        for index in (mark.line - 1)..<lines.count {
            if index > mark.line - 1 {
                guard let indent = indentation(of: lines[index]) else { continue }  // blank or comment
                if indent < column { break }                                         // the mapping has ended
                if indent > column { continue }                                      // inside a value
            }
            let content = lines[index].dropFirst(column)
            guard let colon = content.firstIndex(of: ":") else { continue }
            let key = unquoted(content[..<colon])
            if keys.contains(key), !seen.insert(key).inserted, found == nil { found = (index + 1, key) }
        }
        guard let found else { return nil }
        return (found.line, found.key, rule(around: found.line - 1, keyColumn: column, lines: lines))
    }

    /// The spaces before a line's content; nil for a blank line or a comment.
    private static func indentation(of line: Substring) -> Int? {
        let spaces = line.prefix { $0 == " " }.count
        guard spaces < line.count, line[line.index(line.startIndex, offsetBy: spaces)] != "#" else { return nil }
        return spaces
    }

    /// A plain or quoted scalar as written, without its quotes and surrounding spaces.
    private static func unquoted(_ text: Substring) -> String {
        text.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
    }

    /// The `id` of the rule a line belongs to: the sequence item (`- id: …`, or a mapping whose keys start at
    /// `keyColumn`) that holds the line, searched above and below it; for a line in a nested mapping (under
    /// `transaction:`), the enclosing item's.
    private static func rule(around line: Int, keyColumn: Int, lines: [Substring]) -> String? {
        func indent(_ i: Int) -> Int? { indentation(of: lines[i]) }
        func isItemStart(_ i: Int, _ column: Int) -> Bool {
            indent(i) == column - 2 && lines[i].dropFirst(column - 2).hasPrefix("- ")
        }
        var column = keyColumn, at = line
        while column >= 2 {
            // The item's first line: up from `at` to a `- ` two columns left of the keys.
            var start = at
            while start > 0, !isItemStart(start, column), (indent(start) ?? column) >= column { start -= 1 }
            var parent = start
            if isItemStart(start, column) {
                var end = start + 1
                while end < lines.count, (indent(end) ?? column) >= column { end += 1 }
                for i in start..<end where i == start || indent(i) == column {
                    let content = lines[i].dropFirst(column)
                    if content.hasPrefix("id:") {
                        return unquoted(content.dropFirst(3))
                    }
                }
                // Not this item's: the item holding its parent key (the nearest line above with less indentation).
                parent = start - 1
                while parent >= 0, (indent(parent) ?? Int.max) >= column - 2 { parent -= 1 }
            }
            // Otherwise `start` is already the parent key of a nested mapping (less indented, no `- `).
            guard parent >= 0, parent < at || !isItemStart(start, column), let parentIndent = indent(parent) else { return nil }
            let dash = lines[parent].dropFirst(parentIndent).hasPrefix("- ")
            column = parentIndent + (dash ? 2 : 0)
            at = parent
        }
        return nil
    }
}
