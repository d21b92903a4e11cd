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
    /// Every field name a document can have, for rules' `fields:`: a message's, then a transaction's.
    public static let fieldNames = ["text"] + Transaction.textFieldNames
    /// The transaction this document stands for, when it is one: rules' `transaction:` conditions and
    /// payee list look-ups read it.
    public var transaction: Transaction?

    public init(fields: [Field], transaction: Transaction? = nil) {
        self.fields = fields
        self.transaction = transaction
    }

    /// A transaction: its memo, payee name and context are the text fields.
    public init(transaction: Transaction) {
        self.init(fields: transaction.textFields, transaction: transaction)
    }

    /// A message: a single `text` field.
    public static func message(_ text: String) -> Document {
        Document(fields: [Field(name: "text", text: text)])
    }
}
