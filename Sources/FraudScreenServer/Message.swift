/// A message to screen (`"message": {...}` in a request): an SMS, chat message or call note.
public struct Message: Sendable, Equatable {
    /// The text screened, as the field `text`.
    public var text: String
    /// Where it came from, for example `sms`, `chat`, `call` (free text, not interpreted yet).
    public var channel: String?
    /// The sender as the channel names it (a phone number, an account).
    public var sender: String?

    public init(text: String, channel: String? = nil, sender: String? = nil) {
        self.text = text
        self.channel = channel
        self.sender = sender
    }
}
