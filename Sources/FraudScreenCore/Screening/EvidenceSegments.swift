extension Verdict {
    /// A field's text cut into alternating runs of evidence and the rest, in order: what every human report
    /// (terminal, HTML) marks. Only hits with a positive score count as evidence: a negative hit (a genuine
    /// warning's wording) is a reason to trust the text, not a span to point the reader at.
    public func evidenceSegments(of field: Document.Field) -> [(text: String, evidence: Bool)] {
        Verdict.evidenceSegments(of: field, spans: hits.filter { $0.score > 0 }.flatMap { $0.evidence.map { ($0.field, $0.span) } })
    }

    /// The same cut for evidence known by its field names and spans alone (a daemon's answer, read by a client
    /// that holds the text it sent): `spans` are those of positive hits.
    public static func evidenceSegments(of field: Document.Field, spans: [(field: String, span: TextSpan)]) -> [(text: String, evidence: Bool)] {
        let scalars = Array(field.text.unicodeScalars)
        var marked = [Bool](repeating: false, count: scalars.count)
        for (name, span) in spans where name == field.name {
            let lower = max(0, span.start), upper = min(scalars.count, span.end)
            if lower < upper { for i in lower..<upper { marked[i] = true } }
        }
        var out: [(String, Bool)] = []
        var current = String.UnicodeScalarView()
        var inside = false
        for (i, scalar) in scalars.enumerated() {
            if marked[i] != inside {
                if !current.isEmpty { out.append((String(current), inside)) }
                current = String.UnicodeScalarView()
                inside = marked[i]
            }
            current.append(scalar)
        }
        if !current.isEmpty { out.append((String(current), inside)) }
        return out
    }
}
