import Foundation

/// One line of a labelled corpus (see docs/CORPUS.md).
public struct LabelledItem: Sendable {
    public enum Label: String, Sendable { case fraud, benign }

    public var id: String
    public var text: String
    /// nil for unlabelled items (screened and counted, left out of metrics).
    public var label: Label?
    public var category: String?
    public var notes: String?
    /// Where it came from, for messages about it.
    public var file: String
    public var line: Int

    public init(id: String, text: String, label: Label?, category: String?, notes: String? = nil, file: String = "", line: Int = 0) {
        self.id = id
        self.text = text
        self.label = label
        self.category = category
        self.notes = notes
        self.file = file
        self.line = line
    }
}

/// Reads corpus JSONL files. Bad lines are collected with file:line, never fatal.
public enum CorpusReader {
    public struct BadLine: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// Reads every `.jsonl` file given or found (recursively, sorted) under the given directories.
    public static func read(paths: [String]) throws -> (items: [LabelledItem], badLines: [BadLine]) {
        var items: [LabelledItem] = []
        var bad: [BadLine] = []
        for file in try jsonlFiles(paths) {
            guard let data = FileManager.default.contents(atPath: file) else {
                bad.append(BadLine(file: file, line: 0, message: "cannot read file"))
                continue
            }
            var lineNumber = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                switch parse(Data(line), file: file, line: lineNumber) {
                case .success(let item): items.append(item)
                case .failure(let problem): bad.append(problem)
                }
            }
        }
        return (items, bad)
    }

    static func jsonlFiles(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CorpusError(message: "\(path): no such file or directory")
            }
            if isDirectory.boolValue {
                let enumerator = FileManager.default.enumerator(atPath: path)
                var found: [String] = []
                while let name = enumerator?.nextObject() as? String {
                    if name.hasSuffix(".jsonl") { found.append(path + "/" + name) }
                }
                files.append(contentsOf: found.sorted())
            } else {
                files.append(path)
            }
        }
        return files
    }

    static func parse(_ line: Data, file: String, line number: Int) -> Result<LabelledItem, BadLine> {
        func bad(_ message: String) -> Result<LabelledItem, BadLine> { .failure(BadLine(file: file, line: number, message: message)) }
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            return bad("not a JSON object")
        }
        // Reports from the daemon nest the text under "message".
        let text = object["text"] as? String ?? (object["message"] as? [String: Any])?["text"] as? String
        guard let text else { return bad("missing string field 'text'") }
        var label: LabelledItem.Label?
        if let raw = object["label"] {
            guard let string = raw as? String, let parsed = LabelledItem.Label(rawValue: string) else {
                return bad("label must be \"fraud\" or \"benign\"")
            }
            label = parsed
        }
        let id = object["id"] as? String ?? "\(file):\(number)"
        return .success(LabelledItem(id: id, text: text, label: label, category: object["category"] as? String,
                                     notes: object["notes"] as? String, file: file, line: number))
    }
}

public struct CorpusError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
