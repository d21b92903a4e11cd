/// What is screened: one or more named text fields. A message has one field, `text`; a transaction has
/// `memo`, `payee_name`, `context`… Rules may be limited to some fields (`fields:`); evidence names its field.
public struct Document: Sendable {
    public struct Field: Sendable {
        public var name: String
        public var text: String

        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    public var fields: [Field]

    public init(fields: [Field]) {
        self.fields = fields
    }

    /// A message: a single `text` field.
    public static func message(_ text: String) -> Document {
        Document(fields: [Field(name: "text", text: text)])
    }
}
