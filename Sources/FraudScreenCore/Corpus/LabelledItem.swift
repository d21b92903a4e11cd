import Foundation

/// One line of a labelled corpus (see docs/CORPUS.md and docs/REPLAY.md): a message or a transaction, with
/// its ground truth when it has one.
public struct LabelledItem: Sendable {
    public enum Label: String, Sendable { case fraud, benign }
    public enum Kind: String, Sendable { case message, transaction }

    public var id: String
    /// A message's text; for a transaction, its text fields joined for display (`memo: … · payee_name: …`).
    public var text: String
    /// What is screened: `text` for a message; `memo`, `payee_name`, `context` (those present) for a transaction.
    public var fields: [Document.Field]
    public var kind: Kind
    /// The transaction, when the line held a valid one: its amount, payee, time… feed rules' `transaction:`
    /// conditions and payee list look-ups.
    public var transaction: Transaction?
    /// Why a transaction line could not be read as a full transaction (it is then screened by its text
    /// fields only); nil otherwise.
    public var transactionProblem: String?
    /// nil for unlabelled items (screened and counted, left out of metrics).
    public var label: Label?
    public var category: String?
    public var notes: String?
    /// Where it came from, for messages about it.
    public var file: String
    public var line: Int

    /// A message.
    public init(id: String, text: String, label: Label?, category: String?, notes: String? = nil, file: String = "", line: Int = 0) {
        self.id = id
        self.text = text
        self.fields = [Document.Field(name: "text", text: text)]
        self.kind = .message
        self.label = label
        self.category = category
        self.notes = notes
        self.file = file
        self.line = line
    }

    /// A transaction: screened as a whole when `transaction` is given (its text fields are then
    /// `transaction.textFields`), by `fields` alone otherwise.
    public init(id: String, transactionFields fields: [Document.Field], transaction: Transaction? = nil, problem: String? = nil,
                label: Label?, category: String?, notes: String? = nil, file: String = "", line: Int = 0) {
        let fields = transaction?.textFields ?? fields
        self.id = id
        self.text = fields.map { "\($0.name): \($0.text)" }.joined(separator: " · ")
        self.fields = fields
        self.kind = .transaction
        self.transaction = transaction
        self.transactionProblem = problem
        self.label = label
        self.category = category
        self.notes = notes
        self.file = file
        self.line = line
    }

    /// The document screening sees.
    public var document: Document { Document(fields: fields, transaction: transaction) }

    /// `file:line`, for messages about the item.
    public var source: String { "\(file):\(line)" }
}

/// Reads corpus JSONL files: labelled messages, labelled transactions and the daemon's reports log. Bad lines
/// are collected with file:line, never fatal. Lines are parsed on every core, and items keep input order.
public enum CorpusReader {
    public struct BadLine: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }

        public init(file: String, line: Int, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }
    }

    /// The text fields of a transaction that are screened, in this order.
    public static let transactionFields = Transaction.textFieldNames

    /// Reads every `.jsonl` file given or found (recursively, sorted) under the given directories.
    public static func read(paths: [String]) throws -> (items: [LabelledItem], badLines: [BadLine]) {
        try read(files: jsonlFiles(paths))
    }

    /// Reads the given files (as `jsonlFiles` lists them).
    public static func read(files: [String]) -> (items: [LabelledItem], badLines: [BadLine]) {
        var items: [LabelledItem] = []
        var bad: [BadLine] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                bad.append(BadLine(file: file, line: 0, message: "cannot read file"))
                continue
            }
            let (fileItems, fileBad) = read(data: data, file: file)
            items.append(contentsOf: fileItems)
            bad.append(contentsOf: fileBad)
        }
        // Ids are unique (docs/CORPUS.md): a repeated line would count twice in every figure. The first one
        // stays; an item without an id of its own (named by its place) cannot repeat.
        var firstSeen: [String: String] = [:]
        var unique: [LabelledItem] = []
        unique.reserveCapacity(items.count)
        for item in items {
            if item.id != item.source, let first = firstSeen[item.id] {
                bad.append(BadLine(file: item.file, line: item.line, message: "duplicate id '\(item.id)' (first at \(first))"))
                continue
            }
            firstSeen[item.id] = item.source
            unique.append(item)
        }
        return (unique, bad)
    }

    /// Parses the lines of one file's bytes (`file` names it in messages and in the items' `source`).
    public static func read(data: Data, file: String) -> (items: [LabelledItem], badLines: [BadLine]) {
        let bytes = [UInt8](data)
        // Line ranges first (cheap), then the JSON of each line on every core.
        var lines: [Range<Int>] = []
        var start = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
            lines.append(start..<i)
            start = i + 1
        }
        if start < bytes.count { lines.append(start..<bytes.count) }
        let ranges = lines

        let results = parallelMap(count: ranges.count) { index -> Result<LabelledItem, BadLine>? in
            var range = ranges[index]
            // A byte-order mark (an editor on Windows) is not part of the first line.
            if index == 0, bytes[range].starts(with: [0xEF, 0xBB, 0xBF]) { range = (range.lowerBound + 3)..<range.upperBound }
            if bytes[range].allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { return nil }
            return parse(Data(bytes[range]), file: file, line: index + 1)
        }
        var items: [LabelledItem] = []
        var bad: [BadLine] = []
        items.reserveCapacity(results.count)
        for result in results {
            switch result {
            case .success(let item): items.append(item)
            case .failure(let problem): bad.append(problem)
            case nil: break
            }
        }
        return (items, bad)
    }

    /// `body(i)` for every i in 0..<count on every core, results in index order.
    private static func parallelMap<T: Sendable>(count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let workers = count < 2_048 ? 1 : max(1, ProcessInfo.processInfo.activeProcessorCount)
        if workers == 1 { return (0..<count).map(body) }
        let chunk = (count + workers - 1) / workers
        // Each worker writes only its own slot, so the unchecked sharing is race-free.
        var parts = [[T]](repeating: [], count: workers)
        parts.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSlots(pointer: buffer)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let range = (worker * chunk)..<min(count, (worker + 1) * chunk)
                shared.pointer[worker] = range.map(body)
            }
        }
        return parts.flatMap { $0 }
    }

    /// The `.jsonl` files named or found (recursively, sorted) under the given directories.
    public static func jsonlFiles(_ paths: [String]) throws -> [String] {
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
                    // Hidden files and directories (an editor's `.x.jsonl.swp`, `.git`) are not corpus, and a
                    // directory is not a file however it is named.
                    if (name as NSString).lastPathComponent.hasPrefix(".") {
                        if enumerator?.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { enumerator?.skipDescendants() }
                        continue
                    }
                    guard name.hasSuffix(".jsonl"), enumerator?.fileAttributes?[.type] as? FileAttributeType != .typeDirectory else { continue }
                    found.append((path.hasSuffix("/") ? path : path + "/") + name)
                }
                files.append(contentsOf: found.sorted())
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// One line: a corpus message (`text`), a corpus or reported transaction (`transaction: {memo, amount,
    /// payee: {name, …}, context, timestamp, …}`; see `TransactionJSON`), or a daemon report
    /// (`message: {text}`), with optional `id`, `label`, `category`, `notes`.
    static func parse(_ line: Data, file: String, line number: Int) -> Result<LabelledItem, BadLine> {
        func bad(_ message: String) -> Result<LabelledItem, BadLine> { .failure(BadLine(file: file, line: number, message: message)) }
        // Checked first: JSONSerialization guesses an encoding, and read UTF-16 lines as if they were fine. A NUL
        // is valid UTF-8 but never in JSON text: it is what UTF-16 makes of ASCII.
        guard String(validating: line, as: UTF8.self) != nil, !line.contains(0) else { return bad("not valid UTF-8 (JSONL is UTF-8)") }
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            return bad("not a JSON object")
        }
        var label: LabelledItem.Label?
        if let raw = object["label"], !(raw is NSNull) {
            guard let string = raw as? String, let parsed = LabelledItem.Label(rawValue: string) else {
                return bad("label must be \"fraud\" or \"benign\"")
            }
            label = parsed
        }
        var category: String?
        if let raw = object["category"], !(raw is NSNull) {
            guard let string = raw as? String else { return bad("category must be a string") }
            category = string
        }
        let id: String
        switch object["id"] {
        case let string as String: id = string
        case let number as NSNumber: id = number.stringValue
        default: id = "\(file):\(number)"
        }
        let notes = object["notes"] as? String

        if let rawTransaction = object["transaction"] ?? (object["message"] as? [String: Any])?["transaction"] {
            guard let transaction = rawTransaction as? [String: Any] else { return bad("'transaction' must be an object") }
            var fields: [Document.Field] = []
            for name in transactionFields {
                let value: Any?
                if name == "payee_name" {
                    value = transaction["payee_name"] ?? (transaction["payee"] as? [String: Any])?["name"]
                } else {
                    value = transaction[name]
                }
                guard let value, !(value is NSNull) else { continue }
                guard let text = value as? String else { return bad("transaction field '\(name)' must be a string") }
                fields.append(Document.Field(name: name, text: text))
            }
            // A valid transaction is screened whole (conditions on amount, payee, time; payee lists); one the
            // engine's validation rejects still has its text fields screened, and says why.
            var parsed: Transaction?
            var problem: String?
            do { parsed = try TransactionJSON.transaction(from: transaction) } catch { problem = error.description }
            if parsed == nil && fields.isEmpty {
                return bad("transaction has no text (memo, payee name, context) and is not valid: \(problem ?? "")")
            }
            return .success(LabelledItem(id: id, transactionFields: fields, transaction: parsed, problem: problem, label: label,
                                         category: category, notes: notes, file: file, line: number))
        }

        // Reports from the daemon nest the text under "message".
        let text: String?
        if let raw = object["text"] {
            text = raw as? String
        } else if let message = object["message"] {
            text = (message as? [String: Any])?["text"] as? String ?? message as? String
        } else {
            text = nil
        }
        guard let text else { return bad("missing string field 'text' (or 'message.text', or a 'transaction' object)") }
        return .success(LabelledItem(id: id, text: text, label: label, category: category, notes: notes, file: file, line: number))
    }
}

/// Slots that concurrent workers each write one of.
private struct UncheckedSlots<T>: @unchecked Sendable {
    let pointer: UnsafeMutableBufferPointer<T>
}

public struct CorpusError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}
